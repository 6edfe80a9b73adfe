import DeadLetterBytes

/// Builds HTML so that record content cannot become markup. Tags, attribute names and fixed markup are
/// `StaticString`s, written in this program's source; every `String` (record content, file names, numbers
/// made at run time) goes through `text` or an attribute value and is escaped there, after control and
/// bidirectional characters were made visible (`\u{202E}`), so a value can neither open an element nor
/// reorder what is read around it. No `href` or `src` takes a value: the page links nowhere.
struct HTMLWriter {
    private(set) var html = ""

    init() { html.reserveCapacity(256 << 10) }

    /// Markup written in this program's source.
    mutating func markup(_ fixed: StaticString) {
        html += fixed.description
    }

    /// Text: escaped for HTML, control and bidi characters shown as escapes.
    mutating func text(_ value: String) {
        Self.escape(TerminalText.escape(value), into: &html)
    }

    /// `<tag a="v" ...>`, body, `</tag>`.
    mutating func element(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String> = [:], _ body: (inout HTMLWriter) -> Void) {
        open(tag, attributes)
        body(&self)
        html += "</"
        html += tag.description
        html += ">"
    }

    /// `<tag a="v" ...>text</tag>`.
    mutating func element(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String> = [:], text value: String) {
        element(tag, attributes) { $0.text(value) }
    }

    /// `<tag a="v" .../>`, for SVG shapes.
    mutating func empty(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String>) {
        html += "<"
        html += tag.description
        attributesText(attributes)
        html += "/>"
    }

    private mutating func open(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String>) {
        html += "<"
        html += tag.description
        attributesText(attributes)
        html += ">"
    }

    private mutating func attributesText(_ attributes: KeyValuePairs<StaticString, String>) {
        for (name, value) in attributes {
            html += " "
            html += name.description
            html += "=\""
            Self.escape(TerminalText.escape(value), into: &html)
            html += "\""
        }
    }

    static func escape(_ value: String, into out: inout String) {
        var plain = true
        for u in value.utf8 where u == 0x26 || u == 0x3C || u == 0x3E || u == 0x22 || u == 0x27 {
            plain = false
            break
        }
        if plain {
            out += value
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
    }

    static func escape(_ value: String) -> String {
        var out = ""
        escape(value, into: &out)
        return out
    }
}
