import Foundation

/// A JSON value for `--json` output. Objects keep their keys in the order given, and job
/// payloads and results, already JSON, are embedded as they are.
enum JSONText {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    /// Text that is JSON already.
    case raw(String)
    case array([JSONText])
    case object([(String, JSONText)])

    /// `bytes` embedded as JSON when they are, as a string when not; nil as `null`.
    static func embedding(_ bytes: [UInt8]?) -> JSONText {
        guard let bytes else { return .null }
        let text = String(decoding: bytes, as: UTF8.self)
        let valid = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
        return valid ? .raw(text.trimmingCharacters(in: .whitespacesAndNewlines)) : .string(text)
    }

    /// An integer, `null` when nil.
    static func optional(_ value: Int64?) -> JSONText { value.map { .int($0) } ?? .null }

    /// A string, `null` when nil.
    static func optional(_ value: String?) -> JSONText { value.map { .string($0) } ?? .null }

    /// The value as JSON text, on one line unless embedded JSON spans several.
    var text: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .string(let value): Self.quoted(value)
        case .raw(let value): value
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.map { Self.quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    /// `value` as a JSON string literal.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
