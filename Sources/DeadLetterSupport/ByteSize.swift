import DeadLetterBytes
/// Parses sizes such as `16M`, `64MiB`, `1G`, `4096` (binary multiples: K = 1024).
public enum ByteSize {
    /// The largest size a flag takes, 1 GiB: a record and an inflated payload are held in memory whole, and
    /// zlib counts its output room in 32 bits, so a larger cap would promise what the reader cannot keep.
    public static let largest = 1 << 30

    public enum Problem: Error, Equatable {
        case notASize, tooLarge
    }

    /// The size, or nil for text that is not one or does not fit an Int.
    public static func parse(_ text: String) -> Int? {
        try? value(text)
    }

    /// The value of `flag` (`--max-record-bytes`), from 1 byte to `largest`; `example` shows a valid one.
    public static func parse(flag: String, _ text: String, example: String) throws(UsageError) -> Int {
        let size: Int
        do {
            size = try value(text)
        } catch .tooLarge {
            throw tooLarge(flag, text)
        } catch {
            throw UsageError("\(flag) '\(text)': not a size; use a number of bytes, or K, M, G (KiB, MiB, GiB) such as \(example)")
        }
        guard size >= 1 else { throw UsageError("\(flag) '\(text)': must be 1 byte or more") }
        guard size <= largest else { throw tooLarge(flag, text) }
        return size
    }

    private static func tooLarge(_ flag: String, _ text: String) -> UsageError {
        UsageError("\(flag) '\(text)': more than the largest size taken, 1GiB (\(largest) bytes)")
    }

    private static func value(_ text: String) throws(Problem) -> Int {
        var digits = Substring(text.trimmingCharacters(in: " "))
        var multiplier = 1
        let suffixes: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20),
                                         ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        for (suffix, value) in suffixes where digits.uppercased().hasSuffix(suffix.uppercased()) {
            digits = digits.dropLast(suffix.count)
            multiplier = value
            break
        }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .notASize }
        // All digits: a number too long for an Int is too large, not malformed.
        guard let n = Int(digits), case (let product, false) = n.multipliedReportingOverflow(by: multiplier) else { throw .tooLarge }
        return product
    }
}
