/// A fragment of HTML. Interpolated `String`s are escaped, interpolated `HTML` goes in as it
/// is, so that a page can only contain markup its code wrote:
///
///     let row: HTML = "<td>\(job.name)</td>"   // a name with `<` shows as text
struct HTML: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The markup.
    private(set) var text: String

    /// Markup taken as it is (only for text that is markup already).
    init(raw: String) { text = raw }

    init(stringLiteral value: String) { text = value }

    init(stringInterpolation: StringInterpolation) { text = stringInterpolation.text }

    var description: String { text }

    /// The fragments one after another.
    init(joining fragments: some Sequence<HTML>) { text = fragments.map(\.text).joined() }

    struct StringInterpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }

        mutating func appendLiteral(_ literal: String) { text += literal }

        /// Text, escaped for element content and quoted attribute values.
        mutating func appendInterpolation(_ value: String) { text += HTML.escape(value) }

        mutating func appendInterpolation(_ value: Int) { text += String(value) }

        mutating func appendInterpolation(_ html: HTML) { text += html.text }

        mutating func appendInterpolation(_ fragments: [HTML]) { for fragment in fragments { text += fragment.text } }
    }

    /// `text` with `& < > " '` as character references.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
