/// "Did you mean" for a name the user mistyped: a field, a kind, a target, a subcommand.
public enum Suggestion {
    /// The candidate nearest to `word`, ignoring case, when it is near enough to be what was meant: at most
    /// one edit for every three characters of the longer name (at least one edit), and fewer edits than the
    /// candidate has characters, so a short unrelated word gets no suggestion. Ties go to the earlier candidate.
    public static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        let typed = Array(word.lowercased().unicodeScalars)
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let name = Array(candidate.lowercased().unicodeScalars)
            let allowed = max(1, max(typed.count, name.count) / 3)
            let distance = editDistance(typed, name)
            guard distance <= allowed, distance < name.count else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.name
    }

    /// ` (did you mean 'NAME'?)` when a candidate is near enough, else nothing: ready to follow the
    /// quoted word in a message.
    public static func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
        guard let name = closest(to: word, among: candidates) else { return "" }
        return " (did you mean '\(name)'?)"
    }

    /// Insertions, deletions, substitutions and swaps of neighbours (the commonest typo) each cost one.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows of the table are enough: a swap looks two rows back.
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, previous2[j - 2] + 1) }
                current[j] = d
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
