extension StringProtocol {
    /// Drops `set` from both ends (Foundation's version takes a CharacterSet; this tool avoids Foundation).
    package func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
