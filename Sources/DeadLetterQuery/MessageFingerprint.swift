/// The `message` field: an errorMessage with its variable parts replaced by placeholders, so the same
/// failure with another document id, timestamp or count falls into one group.
///
/// Rules, applied left to right (each is tested with a message it must and one it must not change):
/// - `'…'` single-quoted values (OpenSearch: `document with id 'a81f…'`, `Preview of field's value: 'x'`) → `'<*>'`;
///   an apostrophe inside a word (`it's`) is not a quote.
/// - `"…"` double-quoted values → `"<*>"`. JSON member names (followed by `:`) stay, and the values of
///   members that describe the error (`reason`, `type`, `errorMessage`, `message`, `error`, `code`, `status`,
///   ...) are fingerprinted inside instead of replaced, so an endpoint's `"errorMessage": "Unauthorized"` and
///   OpenSearch's `"reason":"failed to parse field [status] ..."` keep what failed. Quotes escaped inside such
///   a value (`\"FAIL\"`) are quotes too.
/// - UUIDs → `<uuid>`; dates and timestamps (`2024-03-05`, `2024-03-05T14:00:01.123Z`) → `<time>`.
/// - hex ids of 8 or more hex digits mixing letters and digits (`i-09d213ee4b5206efd`, commit ids) → `<hex>`.
/// - numbers: 10 or more digits → `<id>`; others → `<num>`; except an HTTP status (100–599) written as
///   `413:` or after `status`, `code` or `HTTP`, which stays.
/// - everything else, including `[bracketed]` field names and types, stays.
public enum MessageFingerprint {
    /// Member names whose values say what failed rather than which record failed.
    static let descriptiveMembers: Set<String> = [
        "message", "errormessage", "error", "reason", "type", "code", "status", "errorcode", "title", "detail",
        "description", "msg", "error_description", "errortype",
    ]

    static let descriptiveMemberBytes: [[UInt8]] = descriptiveMembers.map { Array($0.utf8) }
    static let quotedAny = Array("'<*>'".utf8), uuidMark = Array("<uuid>".utf8), timeMark = Array("<time>".utf8)
    static let idMark = Array("<id>".utf8), numMark = Array("<num>".utf8), hexMark = Array("<hex>".utf8), anyMark = Array("<*>".utf8)

    public static func fingerprint(_ message: String) -> String {
        String(decoding: fingerprintBytes(message), as: UTF8.self)
    }

    /// The fingerprint as UTF-8, for callers that compare it before they make a `String` of it.
    public static func fingerprintBytes(_ message: String) -> [UInt8] {
        var message = message
        return message.withUTF8 { fingerprint($0, escapedQuotes: false) }
    }

    /// Whether `word` spelled in any case is `lower` (ASCII lower case).
    private static func equalsIgnoringCase(_ word: UnsafeBufferPointer<UInt8>.SubSequence, _ lower: StaticString) -> Bool {
        guard word.count == lower.utf8CodeUnitCount else { return false }
        var k = 0
        for c in word {
            let folded = c >= 0x41 && c <= 0x5A ? c | 0x20 : c
            if folded != lower.utf8Start[k] { return false }
            k += 1
        }
        return true
    }

    /// `escapedQuotes`: the text is the inside of a JSON string, where a quote is written `\"`. Read in place
    /// (it runs for every record `report` reads): no copy of the text, no `String` but for JSON member names.
    static func fingerprint(_ b: UnsafeBufferPointer<UInt8>, escapedQuotes: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        let n = b.count

        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        func isAlpha(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }
        func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) || c >= 0x80 }
        func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
        func atBoundary(_ k: Int) -> Bool { k == 0 || !isAlnum(b[k - 1]) }
        func endsAtBoundary(_ k: Int) -> Bool { k >= n || !isAlnum(b[k]) }
        // Placeholders are appended directly: a nested function that changed `out` would box it, and every
        // append would go through the box.

        func uuid(at k: Int) -> Bool {
            guard k + 36 <= n else { return false }
            for j in 0..<36 {
                let c = b[k + j]
                if j == 8 || j == 13 || j == 18 || j == 23 { if c != UInt8(ascii: "-") { return false } } else if !isHex(c) { return false }
            }
            return endsAtBoundary(k + 36)
        }

        /// Length of a date or timestamp at `k`, or 0.
        func timestamp(at k: Int) -> Int {
            func digits(_ at: Int, _ count: Int) -> Bool { at + count <= n && (at..<(at + count)).allSatisfy { isDigit(b[$0]) } }
            guard digits(k, 4), k + 10 <= n, b[k + 4] == UInt8(ascii: "-"), digits(k + 5, 2), b[k + 7] == UInt8(ascii: "-"), digits(k + 8, 2)
            else { return 0 }
            var j = k + 10
            if j + 6 <= n, b[j] == UInt8(ascii: "T") || b[j] == UInt8(ascii: " "), digits(j + 1, 2), b[j + 3] == UInt8(ascii: ":"), digits(j + 4, 2) {
                j += 6
                if j + 3 <= n, b[j] == UInt8(ascii: ":"), digits(j + 1, 2) {
                    j += 3
                    if j + 1 < n, b[j] == UInt8(ascii: ".") || b[j] == UInt8(ascii: ","), isDigit(b[j + 1]) {
                        j += 1
                        while j < n && isDigit(b[j]) { j += 1 }
                    }
                }
                if j < n, b[j] == UInt8(ascii: "Z") {
                    j += 1
                } else if j + 3 <= n, b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-"), digits(j + 1, 2) {
                    j += 3
                    if j + 3 <= n, b[j] == UInt8(ascii: ":"), digits(j + 1, 2) { j += 3 } else if digits(j, 2) { j += 2 }
                }
            }
            return endsAtBoundary(j) ? j - k : 0
        }

        /// Whether the word before position `k` (skipping spaces) names a status: `status`, `code` or `HTTP`.
        func afterStatusWord(_ k: Int) -> Bool {
            var end = k
            while end > 0 && b[end - 1] == UInt8(ascii: " ") { end -= 1 }
            var start = end
            while start > 0 && isAlpha(b[start - 1]) { start -= 1 }
            let word = b[start..<end]
            return equalsIgnoringCase(word, "status") || equalsIgnoringCase(word, "code") || equalsIgnoringCase(word, "http")
        }

        /// The name of the JSON member whose value comes next, as a range of `b`.
        var lastMember: Range<Int>?
        func isDescriptive(_ name: Range<Int>) -> Bool {
            for candidate in descriptiveMemberBytes where candidate.count == name.count {
                var same = true
                for (k, c) in zip(name, candidate) {
                    let folded = b[k] >= 0x41 && b[k] <= 0x5A ? b[k] | 0x20 : b[k]
                    if folded != c { same = false; break }
                }
                if same { return true }
            }
            return false
        }
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "'") && atBoundary(i) {
                var j = i + 1
                while j < n && b[j] != UInt8(ascii: "'") && b[j] != 0x0A { j += 1 }
                if j < n && b[j] == UInt8(ascii: "'") && j > i + 1 && endsAtBoundary(j + 1) {
                    out.append(contentsOf: Self.quotedAny)
                    i = j + 1
                    continue
                }
            }
            // A quote: `"` in plain text, `\"` inside a JSON string's content.
            let quoteLength = escapedQuotes ? 2 : 1
            let opensQuote = escapedQuotes
                ? c == UInt8(ascii: "\\") && i + 1 < n && b[i + 1] == UInt8(ascii: "\"")
                : c == UInt8(ascii: "\"")
            if opensQuote {
                var j = i + quoteLength
                var closed = false
                while j < n {
                    if escapedQuotes {
                        if b[j] == UInt8(ascii: "\\") && j + 1 < n && b[j + 1] == UInt8(ascii: "\"") { closed = true; break }
                        if b[j] == UInt8(ascii: "\\") { j += 2; continue }
                    } else {
                        if b[j] == UInt8(ascii: "\"") { closed = true; break }
                        if b[j] == UInt8(ascii: "\\") { j += 2; continue }
                    }
                    j += 1
                }
                if closed {
                    let content = b[(i + quoteLength)..<j]
                    let after = j + quoteLength
                    var k = after
                    while k < n && b[k] == UInt8(ascii: " ") { k += 1 }
                    let quote = b[i..<(i + quoteLength)]
                    if k < n && b[k] == UInt8(ascii: ":") {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<after]))
                        lastMember = (i + quoteLength)..<j
                    } else {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: quote))
                        if let member = lastMember, !escapedQuotes, isDescriptive(member) {
                            out.append(contentsOf: fingerprint(UnsafeBufferPointer(rebasing: content), escapedQuotes: true))
                        } else {
                            out.append(contentsOf: Self.anyMark)
                        }
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: quote))
                        lastMember = nil
                    }
                    i = after
                    continue
                }
            }
            if isAlnum(c) && atBoundary(i) {
                if isHex(c) && uuid(at: i) {
                    out.append(contentsOf: Self.uuidMark)
                    i += 36
                    continue
                }
                if isDigit(c) {
                    let length = timestamp(at: i)
                    if length > 0 {
                        out.append(contentsOf: Self.timeMark)
                        i += length
                        continue
                    }
                }
                var j = i
                while j < n && isAlnum(b[j]) { j += 1 }
                let token = b[i..<j]
                let allDigits = token.allSatisfy(isDigit)
                if allDigits {
                    var end = j
                    if end + 1 < n && b[end] == UInt8(ascii: ".") && isDigit(b[end + 1]) {
                        end += 1
                        while end < n && isDigit(b[end]) { end += 1 }
                    }
                    let digits = j - i
                    let value = digits == 3 ? Int(b[i] - 0x30) * 100 + Int(b[i + 1] - 0x30) * 10 + Int(b[i + 2] - 0x30) : 0
                    let httpStatus = digits == 3 && end == j && (100...599).contains(value)
                        && ((j < n && b[j] == UInt8(ascii: ":")) || afterStatusWord(i))
                    if httpStatus {
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: token))
                    } else {
                        out.append(contentsOf: digits >= 10 ? Self.idMark : Self.numMark)
                    }
                    i = end
                    continue
                }
                if token.count >= 8 && token.allSatisfy(isHex) && token.contains(where: isDigit) && token.contains(where: isAlpha) {
                    out.append(contentsOf: Self.hexMark)
                } else {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: token))
                }
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }
}
