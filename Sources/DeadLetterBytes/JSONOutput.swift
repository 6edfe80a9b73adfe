/// Writes JSON text. Strings are escaped so that no control character, DEL, C1 control, line/paragraph
/// separator or bidirectional control (U+061C included) appears raw: the output is safe to print on a
/// terminal as well as valid JSON. Works on UTF-8 bytes, copying unchanged runs whole: record export writes every field of
/// every record through here.
public enum JSONOutput {
    public static func quote(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public static func quoteOrNull(_ s: String?) -> String { s.map(quote) ?? "null" }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    @inline(__always)
    static func appendUnicodeEscape(_ v: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: [0x5C, UInt8(ascii: "u"), hexDigits[Int(v >> 12 & 0xF)], hexDigits[Int(v >> 8 & 0xF)],
                                hexDigits[Int(v >> 4 & 0xF)], hexDigits[Int(v & 0xF)]])
    }

    /// Decimal digits of `n`, without building a String.
    package static func appendInteger(_ n: Int64, to out: inout [UInt8]) {
        var magnitude = n.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var k = 20
            repeat {
                k -= 1
                digits[k] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
            } while magnitude > 0
            if n < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[k..<20]))
        }
    }

    /// The non-ASCII character at `i` if it must be escaped, with its UTF-8 length: only C1 controls
    /// (C2 80–9F), line and paragraph separators and bidirectional controls (U+061C, U+200E/F, U+202A–E,
    /// U+2066–9), the non-ASCII characters `TerminalText` escapes. They are legal raw in JSON, but U+2028/9
    /// end a JavaScript string literal and all of them act on a terminal.
    @inline(__always)
    static func escapedNonASCII(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (scalar: UInt32, length: Int)? {
        let n = b.count
        if b[i] == 0xC2, i + 1 < n, b[i + 1] >= 0x80, b[i + 1] <= 0x9F { return (UInt32(b[i + 1]), 2) }
        if b[i] == 0xD8, i + 1 < n, b[i + 1] == 0x9C { return (0x61C, 2) }
        if b[i] == 0xE2, i + 2 < n, b[i + 1] == 0x80 || b[i + 1] == 0x81 {
            let v = 0x2000 + (UInt32(b[i + 1] & 0x3F) << 6) + UInt32(b[i + 2] & 0x3F)
            if v == 0x2028 || v == 0x2029 || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069) || v == 0x200E || v == 0x200F {
                return (v, 3)
            }
        }
        return nil
    }

    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendQuoted(bytes: $0, to: &out) }
    }

    public static func appendQuoted(bytes b: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        var i = 0
        let n = b.count
        @inline(__always) func flush(_ upTo: Int) {
            if upTo > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<upTo])) }
        }
        while i < n {
            // Eight plain bytes at a time (printable ASCII other than quote and backslash), then straight to
            // the first byte that is not.
            if let base = b.baseAddress {
                i = SWAR.skip(base, from: i, end: n) {
                    SWAR.nonASCII($0) | SWAR.control($0) | SWAR.equal($0, 0x22) | SWAR.equal($0, 0x5C) | SWAR.equal($0, 0x7F)
                }
                if i >= n { break }
            }
            let c = b[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C && c < 0x7F {
                i += 1
                continue
            }
            if c >= 0x80 {
                if let (scalar, length) = escapedNonASCII(b, at: i) {
                    flush(i)
                    appendUnicodeEscape(scalar, to: &out)
                    i += length
                    runStart = i
                    continue
                }
                i += 1
                continue
            }
            flush(i)
            switch c {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            default: appendUnicodeEscape(UInt32(c), to: &out)
            }
            i += 1
            runStart = i
        }
        flush(n)
        out.append(0x22)
    }

    public static func time(_ millis: Int64?) -> String {
        millis.map { quote(UTCTime.rfc3339($0)) } ?? "null"
    }
}

extension JSONOutput {
    /// Raw JSON from a record, made compact so it stays on one line.
    package static func compactValue(_ json: String) -> String {
        var bytes = Array(json.utf8)
        return bytes.withUnsafeMutableBufferPointer { String(decoding: JSONText.compact(UnsafeBufferPointer($0)), as: UTF8.self) }
    }
}
