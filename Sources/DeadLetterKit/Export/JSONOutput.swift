/// Writes JSON text. Strings are escaped so that no control character, DEL, C1 control or line/paragraph
/// separator appears raw: the output is safe to print on a terminal as well as valid JSON.
public enum JSONOutput {
    public static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let v = scalar.value
                if v < 0x20 || (v >= 0x7F && v < 0xA0) || v == 0x2028 || v == 0x2029 {
                    out += "\\u" + hex4(v)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }

    public static func quoteOrNull(_ s: String?) -> String { s.map(quote) ?? "null" }

    static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    public static func time(_ millis: Int64?) -> String {
        millis.map { quote(UTCTime.rfc3339($0)) } ?? "null"
    }
}
