/// Small helpers over JSON bytes located by `JSONScanner`.
public enum JSONText {
    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    public static func firstNonWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, from: Int = 0) -> Int? {
        var i = from
        while i < bytes.count {
            if !isWhitespace(bytes[i]) { return i }
            i += 1
        }
        return nil
    }

    /// The text of a string value's content (between the quotes). Invalid UTF-8 becomes U+FFFD.
    public static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, escaped: Bool) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[from..<to])
        if !escaped { return String(decoding: slice, as: UTF8.self) }
        var out: [UInt8] = []
        unescape(slice, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Resolves JSON escapes (already validated by the scanner). Lone surrogates become U+FFFD.
    public static func unescape(_ input: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.reserveCapacity(input.count)
        var i = 0
        let n = input.count
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= n else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                let c = input[at + k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }
        guard let base = input.baseAddress else { return }
        while i < n {
            // The run up to the next backslash is copied whole, found eight bytes at a time: escaped
            // strings (error messages quoting JSON) are mostly plain text.
            var runEnd = SWAR.skip(base, from: i, end: n) { SWAR.equal($0, 0x5C) }
            while runEnd < n && input[runEnd] != 0x5C { runEnd += 1 }
            if runEnd > i {
                out.append(contentsOf: UnsafeBufferPointer(start: base + i, count: runEnd - i))
                i = runEnd
                continue
            }
            if i + 1 >= n {
                out.append(input[i])
                i += 1
                continue
            }
            let e = input[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { out.append(contentsOf: [0xEF, 0xBF, 0xBD]); continue }
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00, i + 6 <= n, input[i] == 0x5C, input[i + 1] == UInt8(ascii: "u"),
                   let low = hex4(i + 2), low >= 0xDC00 && low < 0xE000 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(unicode)).utf8))
            default: out.append(e)   // " \ /
            }
        }
    }

    /// An integer from a number token (`3`, `1741088912364`, `1.7e12`) or a string of digits.
    public static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int64? {
        guard from < to else { return nil }
        var i = from
        var negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var value: Int64 = 0
        var allDigits = i < to
        var k = i
        while k < to {
            let c = bytes[k]
            if c < 0x30 || c > 0x39 { allDigits = false; break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(c - 0x30))
            if o1 || o2 { allDigits = false; break }
            value = s
            k += 1
        }
        if allDigits { return negative ? -value : value }
        // Fractions and exponents: go through Double, and refuse what does not fit.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
        guard let d = Double(text), d.isFinite, d >= -9.2e18, d <= 9.2e18 else { return nil }
        return Int64(d.rounded(.towardZero))
    }

    /// True if the bytes are one or more JSON values (objects or arrays first) separated by whitespace:
    /// a JSON document, NDJSON, or HEC events back to back.
    public static func isJSONSequence(_ bytes: UnsafeBufferPointer<UInt8>, scanner: inout JSONScanner, members: inout [ScannedMember]) -> Bool {
        var bounds: [(Int, Int)] = []
        return isJSONSequence(bytes, scanner: &scanner, members: &members, bounds: &bounds)
    }

    /// Also gives the (start, end) of each value, so a caller that keeps the values need not scan again.
    public static func isJSONSequence(_ bytes: UnsafeBufferPointer<UInt8>, scanner: inout JSONScanner, members: inout [ScannedMember],
                                      bounds: inout [(Int, Int)]) -> Bool {
        bounds.removeAll(keepingCapacity: true)
        guard let base = bytes.baseAddress, var i = firstNonWhitespace(bytes) else { return false }
        guard bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") else { return false }
        while true {
            guard case .complete(let end, _) = scanner.scan(base, start: i, end: bytes.count, atEOF: true, members: &members) else {
                return false
            }
            bounds.append((i, end))
            guard let next = firstNonWhitespace(bytes, from: end) else { return true }
            i = next
        }
    }

    /// Calls `body(start, end)` for each element of the array spanning `arrayStart..<arrayEnd` (brackets included).
    /// For elements that are objects, `body` also gets their direct members.
    public static func forEachElement(
        _ bytes: UnsafeBufferPointer<UInt8>, arrayStart: Int, arrayEnd: Int,
        scanner: inout JSONScanner, members: inout [ScannedMember], _ body: (Int, Int, [ScannedMember]) -> Void
    ) {
        guard let base = bytes.baseAddress else { return }
        var i = arrayStart + 1
        while true {
            guard let start = firstNonWhitespace(bytes, from: i), start < arrayEnd - 1 else { return }
            guard case .complete(let end, _) = scanner.scan(base, start: start, end: arrayEnd - 1, atEOF: true, members: &members) else { return }
            body(start, end, members)
            guard let sep = firstNonWhitespace(bytes, from: end), sep < arrayEnd - 1, bytes[sep] == UInt8(ascii: ",") else { return }
            i = sep + 1
        }
    }
}

extension JSONText {
    /// The value at `path` inside the JSON value starting at `start` (`["a", "0", "b"]`): object members by
    /// name, array elements by index. Returns the value's text: strings unescaped, other values as compact JSON;
    /// nil when the path does not exist (or leads to null).
    public static func value(at path: [String], in bytes: UnsafeBufferPointer<UInt8>, start: Int,
                             scanner: inout JSONScanner, members: inout [ScannedMember]) -> String? {
        guard let base = bytes.baseAddress else { return nil }
        var valueStart = start
        var valueEnd = 0
        var kind = JSONKind.null
        var escaped = false
        // Bounds of the current value.
        guard case .complete(let end, _) = scanner.scan(base, start: start, end: bytes.count, atEOF: true, members: &members) else { return nil }
        valueEnd = end
        kind = bytes[start] == UInt8(ascii: "{") ? .object : (bytes[start] == UInt8(ascii: "[") ? .array : .null)
        for component in path {
            switch kind {
            case .object:
                guard case .complete = scanner.scan(base, start: valueStart, end: valueEnd, atEOF: true, members: &members),
                      let m = members.first(where: { string(bytes, $0.keyStart, $0.keyEnd, escaped: $0.keyEscaped) == component })
                else { return nil }
                (valueStart, valueEnd, kind, escaped) = (m.valueStart, m.valueEnd, m.valueKind, m.valueEscaped)
            case .array:
                guard let index = Int(component), index >= 0 else { return nil }
                var found: (Int, Int)?
                var position = 0
                forEachElement(bytes, arrayStart: valueStart, arrayEnd: valueEnd, scanner: &scanner, members: &members) { s, e, _ in
                    if position == index { found = (s, e) }
                    position += 1
                }
                guard let (s, e) = found else { return nil }
                valueStart = s
                valueEnd = e
                escaped = false
                switch bytes[s] {
                case UInt8(ascii: "{"): kind = .object
                case UInt8(ascii: "["): kind = .array
                case UInt8(ascii: "\""):
                    kind = .string
                    valueStart = s + 1
                    valueEnd = e - 1
                    escaped = UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]).contains(0x5C)
                case UInt8(ascii: "n"): kind = .null
                case UInt8(ascii: "t"), UInt8(ascii: "f"): kind = .bool
                default: kind = .number
                }
            default:
                return nil
            }
        }
        switch kind {
        case .string: return string(bytes, valueStart, valueEnd, escaped: escaped)
        case .null: return nil
        default: return String(decoding: compact(UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd])), as: UTF8.self)
        }
    }

    /// JSON text without insignificant whitespace (so a pretty-printed payload fits on one NDJSON line), with
    /// DEL, C1 controls, U+2028/2029 and bidirectional controls inside strings written as `\uXXXX`: the same
    /// text, but safe to print on a terminal.
    public static func compact(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        compact(bytes, into: &out)
        return out
    }

    /// Appends `bytes` (valid JSON) without insignificant whitespace, escaping inside strings what
    /// `JSONOutput` escapes (DEL, C1 controls, line/paragraph separators, bidi controls). Unchanged runs are
    /// copied whole and string contents skipped eight bytes at a time: every JSON payload `records` shows
    /// passes through here.
    public static func compact(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let p = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        var runStart = 0
        @inline(__always) func flush(_ end: Int) {
            if end > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: end - runStart)) }
        }
        while i < n {
            let b = p[i]
            if b == 0x22 {
                i += 1
                while i < n {
                    // Plain string bytes, eight at a time (no quote, backslash, DEL or non-ASCII byte), then
                    // straight to the first byte that is not.
                    i = SWAR.skip(p, from: i, end: n) {
                        SWAR.nonASCII($0) | SWAR.equal($0, 0x22) | SWAR.equal($0, 0x5C) | SWAR.equal($0, 0x7F)
                    }
                    guard i < n else { break }
                    let c = p[i]
                    if c == 0x22 {
                        i += 1
                        break
                    }
                    if c == 0x5C {
                        i += 2
                        continue
                    }
                    if c == 0x7F {
                        flush(i)
                        JSONOutput.appendUnicodeEscape(0x7F, to: &out)
                        i += 1
                        runStart = i
                        continue
                    }
                    if c >= 0x80, let (scalar, length) = JSONOutput.escapedNonASCII(bytes, at: i) {
                        flush(i)
                        JSONOutput.appendUnicodeEscape(scalar, to: &out)
                        i += length
                        runStart = i
                        continue
                    }
                    i += 1
                }
            } else if isWhitespace(b) {
                flush(i)
                i += 1
                runStart = i
            } else {
                i += 1
            }
        }
        flush(min(i, n))
    }

    /// The JSON values in a sequence (one document, NDJSON, or values back to back), as (start, end) bounds.
    public static func sequenceBounds(_ bytes: UnsafeBufferPointer<UInt8>, scanner: inout JSONScanner, members: inout [ScannedMember]) -> [(Int, Int)] {
        guard let base = bytes.baseAddress, var i = firstNonWhitespace(bytes) else { return [] }
        var bounds: [(Int, Int)] = []
        while true {
            guard case .complete(let end, _) = scanner.scan(base, start: i, end: bytes.count, atEOF: true, members: &members) else { return bounds }
            bounds.append((i, end))
            guard let next = firstNonWhitespace(bytes, from: end) else { return bounds }
            i = next
        }
    }
}

extension JSONText {
    /// The JSON values of a payload (one document, NDJSON, or back to back) as byte slices, or nil if the
    /// bytes are not such a sequence.
    public static func values(_ bytes: [UInt8]) -> [ArraySlice<UInt8>]? {
        var scanner = JSONScanner()
        var members: [ScannedMember] = []
        return bytes.withUnsafeBufferPointer { buffer -> [ArraySlice<UInt8>]? in
            guard isJSONSequence(buffer, scanner: &scanner, members: &members) else { return nil }
            return sequenceBounds(buffer, scanner: &scanner, members: &members).map { bytes[$0.0..<$0.1] }
        }
    }

    /// Names of the direct members of the object in `value` (empty if it is not an object).
    public static func memberNames(_ value: ArraySlice<UInt8>) -> [String] {
        guard value.first == UInt8(ascii: "{") else { return [] }
        var scanner = JSONScanner()
        var members: [ScannedMember] = []
        let copy = Array(value)
        return copy.withUnsafeBufferPointer { buffer -> [String] in
            guard case .complete = scanner.scan(buffer.baseAddress!, start: 0, end: buffer.count, atEOF: true, members: &members) else { return [] }
            return members.map { string(buffer, $0.keyStart, $0.keyEnd, escaped: $0.keyEscaped) }
        }
    }

    public static func compact(_ value: ArraySlice<UInt8>) -> [UInt8] {
        Array(value).withUnsafeBufferPointer { compact($0) }
    }
}
