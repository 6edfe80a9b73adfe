import DeadLetterBytes
import DeadLetterRecords
import DeadLetterSupport
/// One `--where` condition.
public struct Condition: Sendable {
    public enum Operator: String, Sendable { case equals = "=", notEquals = "!=", matches = "~" }

    public var field: RecordField
    public var op: Operator
    public var value: String
    private let pattern: RegexBox?

    /// Parses `FIELD=VALUE`, `FIELD!=VALUE` or `FIELD~REGEX`. The first operator wins, so values may
    /// contain `=` and `~`.
    public init(parsing text: String) throws(UsageError) {
        let chars = Array(text)
        var found: (Int, Operator)?
        for i in chars.indices {
            if chars[i] == "!" && i + 1 < chars.count && chars[i + 1] == "=" { found = (i, .notEquals); break }
            if chars[i] == "=" { found = (i, .equals); break }
            if chars[i] == "~" { found = (i, .matches); break }
        }
        guard let (at, op) = found else {
            throw UsageError("--where '\(text)': expected FIELD=VALUE, FIELD!=VALUE or FIELD~REGEX")
        }
        let name = String(chars[..<at]).trimmingCharacters(in: " ")
        do {
            field = try RecordField.parse(name, for: .where)
        } catch {
            throw UsageError("--where '\(text)': \(error.message)")
        }
        self.op = op
        self.value = String(chars[(at + op.rawValue.count)...])
        if op == .matches {
            do {
                pattern = RegexBox(try Regex(value))
            } catch {
                throw UsageError("--where '\(text)': invalid regular expression: \(error)")
            }
        } else {
            pattern = nil
        }
    }

    /// A record without a value has the value `(none)`, as in grouping.
    public func holds(for record: FailureRecord) -> Bool {
        let actual = field.value(of: record) ?? RecordField.none
        switch op {
        case .equals: return actual == value
        case .notEquals: return actual != value
        case .matches: return pattern!.matches(actual)
        }
    }
}

/// `Regex` is not `Sendable`; a compiled pattern is only read after construction.
final class RegexBox: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>
    init(_ regex: Regex<AnyRegexOutput>) { self.regex = regex }
    func matches(_ text: String) -> Bool { text.contains(regex) }
}

/// The record filters: `--where` (all must hold), `--since`, `--until`.
public struct RecordFilter: Sendable {
    public var conditions: [Condition] = []
    /// Arrival at or after (inclusive), epoch ms.
    public var since: Int64?
    /// Arrival before (exclusive), epoch ms, so `--since A --until B` and `--since B` split a run exactly.
    public var until: Int64?

    public init() {}

    public var isEmpty: Bool { conditions.isEmpty && since == nil && until == nil }

    /// The fields the filter reads (the reader must extract payload paths for them).
    public var fields: [RecordField] { conditions.map(\.field) }

    public func accepts(_ record: FailureRecord) -> Bool {
        if since != nil || until != nil {
            // A record with no arrival time cannot be placed in a time window.
            guard let arrival = record.arrival else { return false }
            if let since, arrival < since { return false }
            if let until, arrival >= until { return false }
        }
        return conditions.allSatisfy { $0.holds(for: record) }
    }
}

/// Times for `--since`/`--until`: RFC 3339, a date (UTC midnight), epoch milliseconds, or a duration back
/// from now (`90s`, `15m`, `36h`, `7d`, `2w`). Whatever the form, the time must lie in `UTCTime.supported`.
public enum TimeArgument {
    static let forms = "use RFC 3339 (2024-03-05T14:00:00Z; without a zone it is UTC, without seconds :00), a date (2024-03-05), epoch milliseconds, or a duration back from now (36h, 7d)"

    /// `flag` names the option in messages: `--since '2024-02-30': no such day (February 2024 has 29 days)`.
    public static func parse(_ text: String, now: Int64, flag: String = "time") throws(UsageError) -> Int64 {
        let t = withSeconds(text.trimmingCharacters(in: " "))
        func refuse(_ reason: String) -> UsageError { UsageError("\(flag) '\(text)': \(reason)") }
        do {
            return try UTCTime.parse(rfc3339: t)
        } catch .notATime {
            // Not RFC 3339: one of the other forms below.
        } catch {
            throw refuse(error.description)
        }
        if !t.isEmpty, t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // Too many digits for an Int64 is out of range too.
            guard let ms = Int64(t), UTCTime.supported.contains(ms) else {
                throw refuse("epoch milliseconds \(TimeProblem.outOfRange)")
            }
            return ms
        }
        if let unit = t.last, let scale = durationScale(unit), !t.dropLast().isEmpty,
           t.dropLast().utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // `now - amount * scale`, checked: a duration long enough to overflow goes back past year 0 anyway.
            guard let amount = Int64(t.dropLast()), case (let span, false) = amount.multipliedReportingOverflow(by: scale),
                  case (let value, false) = now.subtractingReportingOverflow(span), UTCTime.supported.contains(value) else {
                throw refuse("goes back before \(UTCTime.rfc3339(UTCTime.earliest)), the earliest supported time")
            }
            return value
        }
        throw refuse("not a time; \(forms)")
    }

    /// `2024-03-07T12:00` (with or without a zone) as people type it: the seconds are `:00`. Only for flags;
    /// records' times are read as RFC 3339 writes them.
    static func withSeconds(_ text: String) -> String {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= bytes.count && bytes[range].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard bytes.count >= 16, digits(0..<4), bytes[4] == UInt8(ascii: "-"), digits(5..<7), bytes[7] == UInt8(ascii: "-"), digits(8..<10),
              [UInt8(ascii: "T"), UInt8(ascii: "t"), UInt8(ascii: " ")].contains(bytes[10]), digits(11..<13), bytes[13] == UInt8(ascii: ":"),
              digits(14..<16) else { return text }
        let rest = bytes[16...]
        let zone = rest.isEmpty || rest == [UInt8(ascii: "Z")] || rest == [UInt8(ascii: "z")]
            || (rest.count == 6 && (rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-")))
        guard zone else { return text }
        return String(decoding: bytes[..<16], as: UTF8.self) + ":00" + String(decoding: rest, as: UTF8.self)
    }

    /// A length of time in seconds for flags such as `--max-time`: plain seconds (`900`, `0.5`) or a number
    /// with a unit (`90s`, `15m`, `2h`, `1d`); above 0.
    public static func seconds(_ text: String, flag: String) throws(UsageError) -> Double {
        let t = text.trimmingCharacters(in: " ")
        var number = Substring(t)
        var scale: Int64 = 1000
        if let unit = t.last, let unitScale = durationScale(unit), unit != "w" {
            number = number.dropLast()
            scale = unitScale
        }
        guard let amount = Double(number), amount.isFinite, amount > 0, number.first != "+", !number.contains("e"),
              !number.contains("E"), amount * Double(scale) / 1000 <= 1e9 else {
            throw UsageError("\(flag) '\(text)': not a duration above 0; use seconds (900) or a number with s, m, h or d (15m, 2h)")
        }
        return amount * Double(scale) / 1000
    }

    private static func durationScale(_ unit: Character) -> Int64? {
        switch unit {
        case "s": return 1000
        case "m": return 60_000
        case "h": return 3_600_000
        case "d": return 86_400_000
        case "w": return 604_800_000
        default: return nil
        }
    }
}
