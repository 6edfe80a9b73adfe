import DeadLetterBytes

/// Shortens the cells of one table column so that what tells a value apart from the others stays in view.
///
/// Cutting the end of every value (`DataFormatConversio…`) hides exactly the part that differs when
/// values share a beginning: error codes of one family (`DataFormatConversion.MalformedData`,
/// `DataFormatConversion.ParseError`), paths under one prefix, ARNs of one account. So each value is
/// shortened in the most readable way that still leaves it unlike every other value of the column:
/// - the end cut, when what differs from its neighbours stays whole, or a word's worth of it;
/// - for a path, its first component and its file name (`samples/…/orders-7-2024-03-05-14-…`);
/// - the middle cut (`DataFormatCon…MalformedData`, `samples/…-3cb4d00a4fbb`);
/// - the start and, after a cut, the part where it differs (`Data…Malformed…`).
/// A value whose short form collides with another's moves on to the next form.
enum ColumnShortener {
    static func shorten(_ values: [String], to columns: Int) -> [String] {
        if !values.contains(where: { TerminalText.width($0) > columns }) { return values }
        guard columns >= 8 else { return values.map { TerminalText.truncate($0, to: columns) } }
        let distinct = Array(Set(values))
        let scalars = distinct.map { Array($0.unicodeScalars) }
        let differsAt = Self.differsAt(scalars)
        let sameEnd = Self.differsAt(scalars.map { Array($0.reversed()) })
        // Each distinct value's forms, most readable first; the last form is the fallback.
        let forms: [[String]] = distinct.indices.map { i in
            Self.forms(scalars[i], differsAt: differsAt[i], sameEnd: sameEnd[i], columns: columns)
        }
        var chosen = Array(repeating: 0, count: distinct.count)
        // Move colliding values to their next form until the column reads unambiguously; bounded by the
        // number of forms, since every pass moves at least one value on or stops.
        for _ in 0..<8 {
            var owners: [String: [Int]] = [:]
            for i in distinct.indices { owners[forms[i][chosen[i]], default: []].append(i) }
            var moved = false
            for holders in owners.values where holders.count > 1 {
                for i in holders where chosen[i] + 1 < forms[i].count && forms[i][chosen[i]] != distinct[i] {
                    chosen[i] += 1
                    moved = true
                }
            }
            if !moved { break }
        }
        var shown: [String: String] = [:]
        for i in distinct.indices { shown[distinct[i]] = forms[i][chosen[i]] }
        return values.map { shown[$0] ?? $0 }
    }

    /// Per value, the scalar offset where it first differs from the most similar other value (applied to
    /// reversed values: how many scalars its end shares with the most similar other end).
    private static func differsAt(_ scalars: [[Unicode.Scalar]]) -> [Int] {
        let order = scalars.indices.sorted { scalars[$0].lexicographicallyPrecedes(scalars[$1]) }
        var result = Array(repeating: 0, count: scalars.count)
        for (position, i) in order.enumerated() {
            var d = 0
            if position > 0 { d = max(d, commonPrefix(scalars[i], scalars[order[position - 1]])) }
            if position + 1 < order.count { d = max(d, commonPrefix(scalars[i], scalars[order[position + 1]])) }
            result[i] = d
        }
        return result
    }

    private static func commonPrefix(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        var n = 0
        while n < a.count, n < b.count, a[n] == b[n] { n += 1 }
        return n
    }

    private static func forms(_ s: [Unicode.Scalar], differsAt: Int, sameEnd: Int, columns: Int) -> [String] {
        let value = text(s[...])
        if width(s[...]) <= columns { return [value] }
        let d = min(differsAt, s.count)
        let room = columns - 1
        var forms: [String] = []
        // A path: two slashes at least (`bus/rule` is a name, `a/b/c` a path).
        let slash = s.filter({ $0 == "/" }).count >= 2 ? s.firstIndex(of: "/") : nil
        let endCut = TerminalText.truncate(value, to: columns)
        if let slash {
            // The first component, then the file name from its start.
            let head = s[...slash]
            let name = s[((s.lastIndex(of: "/") ?? slash) + 1)...]
            if slash != s.lastIndex(of: "/"), width(head) + 2 < room / 2 {
                let nameRoom = columns - width(head) - 2
                forms.append(text(head) + "…/" + (width(name) <= nameRoom ? text(name) : TerminalText.truncate(text(name), to: nameRoom)))
            }
        } else {
            // Readable when a word's worth of where it differs shows, or all but its last few characters.
            let kept = endCut.unicodeScalars.count - 1
            if kept >= d + min(8, s.count - d) || (kept >= d + 4 && kept >= s.count - 3) { forms.append(endCut) }
        }
        // Head and end: a path keeps its first component; another value keeps what room its differing
        // tail leaves (from where it differs at the start, and one more than it shares at the end, which
        // makes the tail its own), and at least a few characters so its family stays readable.
        let ownTail = max(width(s[d...]), width(s[max(0, s.count - sameEnd - 1)...]))
        var headWidth = slash.map { min(width(s[...$0]), room / 3) } ?? max(room - ownTail, min(4, room / 3))
        headWidth = min(headWidth, room - 1)
        var head = prefix(s[...], columns: headWidth)
        var tail = suffix(s, columns: room - width(s[..<head]))
        if slash == nil {
            // Start the tail at a word (`Invalid|Columns`, `Conversion.|Malformed`) where the head can spare it.
            let floor = min(4, room / 3)
            var k = tail
            while k > 0, !isWordStart(s, k), room - width(s[k...]) > floor { k -= 1 }
            if k < tail, isWordStart(s, k), room - width(s[k...]) >= floor {
                tail = k
                head = prefix(s[...], columns: room - width(s[k...]))
            }
        }
        forms.append(text(s[..<head]) + "…" + text(s[tail...]))
        // The difference sits in the middle (the ends are alike): from where it starts, cut at the end.
        if d >= head && d < tail {
            let middle = prefix(s[d...], columns: room - 1 - width(s[..<head]))
            forms.append(text(s[..<head]) + "…" + text(s[d..<(d + middle)]) + "…")
        }
        return forms
    }

    /// A word begins at `i`: after a separator, or at a capital after a small letter (camel case).
    private static func isWordStart(_ s: [Unicode.Scalar], _ i: Int) -> Bool {
        guard i > 0, i < s.count else { return false }
        let before = s[i - 1], here = s[i]
        if ".-_/: =".unicodeScalars.contains(before) { return true }
        return before.properties.isLowercase && here.properties.isUppercase
    }

    private static func text(_ s: ArraySlice<Unicode.Scalar>) -> String {
        var out = ""
        out.unicodeScalars.append(contentsOf: s)
        return out
    }

    private static func width(_ s: ArraySlice<Unicode.Scalar>) -> Int {
        s.reduce(0) { $0 + TerminalText.width(of: $1) }
    }

    /// How many leading scalars fit in `columns`.
    private static func prefix(_ s: ArraySlice<Unicode.Scalar>, columns: Int) -> Int {
        var used = 0
        var n = 0
        for scalar in s {
            let w = TerminalText.width(of: scalar)
            if used + w > columns { break }
            used += w
            n += 1
        }
        return n
    }

    /// The index from which the trailing scalars fit in `columns`.
    private static func suffix(_ s: [Unicode.Scalar], columns: Int) -> Int {
        var used = 0
        var start = s.count
        while start > 0 {
            let w = TerminalText.width(of: s[start - 1])
            if used + w > columns { break }
            used += w
            start -= 1
        }
        return start
    }
}
