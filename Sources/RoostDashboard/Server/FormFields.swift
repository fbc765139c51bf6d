import Foundation

/// The fields of an `application/x-www-form-urlencoded` text: a POSTed form's body or a URL's
/// query. A field given twice keeps its first value.
struct FormFields: Sendable {
    private var values: [String: String] = [:]

    /// Parses `text` (`a=1&b=two+words&c=%2F`).
    init(_ text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    /// `+` as a space, then percent-escapes decoded (an invalid escape leaves the text as it is).
    private static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `text` escaped to stand as one path segment or one query value.
    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// RFC 3986's unreserved characters: everything else is escaped.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
