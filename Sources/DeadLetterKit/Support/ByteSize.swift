/// Parses sizes such as `16M`, `64MiB`, `1G`, `4096` (binary multiples: K = 1024).
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: " "))
        var multiplier = 1
        let suffixes: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20),
                                         ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        for (suffix, value) in suffixes where digits.uppercased().hasSuffix(suffix.uppercased()) {
            digits = digits.dropLast(suffix.count)
            multiplier = value
            break
        }
        guard let n = Int(digits), n >= 0 else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
