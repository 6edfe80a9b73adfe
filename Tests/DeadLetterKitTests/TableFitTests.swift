import Foundation
import Testing
@testable import DeadLetterExport
import DeadLetterBytes

/// Issue 19, point 1: a table at 80 columns keeps what tells its rows apart and uses the room it has.
@Suite struct TableFitTests {
    /// The table's rows (between the header and the first line in parentheses), cut at runs of two spaces.
    static func rows(_ table: String) -> (header: [String], rows: [[String]], lines: [String]) {
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let h = lines.firstIndex(where: { $0.hasPrefix("KIND") || $0.hasPrefix("FILE") || $0.hasPrefix("ERRORCODE") }) else {
            return ([], [], lines)
        }
        func cells(_ line: String) -> [String] {
            line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let body = lines[(h + 1)...].prefix { !$0.isEmpty && !$0.hasPrefix("(") }
        return (cells(lines[h]), body.map(cells), lines)
    }

    @Test func theReadmeFirstCommandTellsEveryRowApartAt80Columns() throws {
        let run = try CLI.run(["summarize", "samples/firehose/", "-q"], environment: ["COLUMNS": "80"])
        #expect(run.status == 0)
        let table = Self.rows(run.stdout)
        #expect(table.header.prefix(2) == ["KIND", "ERRORCODE"])
        #expect(table.rows.count > 10)
        #expect(table.lines.allSatisfy { TerminalText.width($0) <= 80 })
        // The room is used: the widest row is within two columns of the terminal.
        #expect((table.lines.map(TerminalText.width).max() ?? 0) >= 78)
        let keys = table.rows.map { Array($0.prefix(2)) }
        #expect(Set(keys).count == keys.count, "\(keys)")
        // The two format-conversion rows the issue names: their codes differ only after `DataFormatConversion.`.
        let conversion = keys.filter { $0[0].hasPrefix("format-conv") }.map { $0[1] }
        #expect(conversion.count == 2)
        #expect(conversion.contains { $0.hasSuffix("MalformedData") } && conversion.contains { $0.hasSuffix("ParseError") })
    }

    /// `--by file`: the file names (listed here from the samples on disk) show from their start, not the
    /// shared beginning of their paths.
    @Test func pathsKeepTheirFileNames() throws {
        let run = try CLI.run(["summarize", "samples/", "--by", "file", "-q"], environment: ["COLUMNS": "80"])
        let table = Self.rows(run.stdout)
        #expect(table.rows.count > 20)
        #expect(table.lines.allSatisfy { TerminalText.width($0) <= 80 })
        let shown = table.rows.map { $0[0] }
        #expect(Set(shown).count == shown.count)
        var names: [String] = []
        let walker = FileManager.default.enumerator(atPath: CLI.packageRoot.appendingPathComponent("samples").path)
        while let path = walker?.nextObject() as? String { names.append((path as NSString).lastPathComponent) }
        for cell in shown {
            let name = String(cell.split(separator: "/").last ?? "")
            let start = name.hasSuffix("…") ? String(name.dropLast()) : name
            #expect(start.count >= 12 && names.contains { $0.hasPrefix(start) }, "\(cell)")
        }
    }

    /// One short key leaves room for every column: % and LAST too.
    @Test func columnsAreLeftOutOnlyWhenTheKeysWouldNotFit() throws {
        let run = try CLI.run(["summarize", "samples/firehose/", "--by", "kind", "-q"], environment: ["COLUMNS": "80"])
        let table = Self.rows(run.stdout)
        #expect(table.header == ["KIND", "COUNT", "%", "PAYLOAD", "FIRST", "LAST"])
        #expect(!run.stdout.contains("left out"))
        #expect(table.lines.allSatisfy { TerminalText.width($0) <= 80 })
        let two = try CLI.run(["summarize", "samples/firehose/", "-q"], environment: ["COLUMNS": "80"])
        #expect(two.stdout.contains("(% and LAST left out at 80 columns; --wide shows every column)"))
    }

    /// Generated families of values alike at the start, the end or both: distinct values stay distinct and fit.
    @Test func shortenedValuesStayDistinct() {
        // Seeded, so that a failure can be run again; the seed is in the message.
        let seed = UInt64(Date().timeIntervalSince1970)
        var generator = SplitMix(seed: seed)
        let pieces = ["DataFormatConversion.", "arn:aws:lambda:eu-west-1:123456789012:function:", "bucket/processing-failed/2024/03/05/",
                      "-2024-03-05-14-02-00-", "漢字", "é", "x", "Splunk.", "/"]
        for _ in 0..<300 {
            let count = Int.random(in: 2...30, using: &generator)
            var values = Set<String>()
            while values.count < count {
                values.insert((0..<Int.random(in: 1...6, using: &generator)).map { _ in
                    pieces.randomElement(using: &generator)! + String(Int.random(in: 0..<40, using: &generator))
                }.joined())
            }
            let list = Array(values)
            let columns = Int.random(in: 8...40, using: &generator)
            let shown = ColumnShortener.shorten(list, to: columns)
            #expect(shown.allSatisfy { TerminalText.width($0) <= columns }, "\(shown)")
            let clashes = zip(list, shown).filter { pair in shown.filter { $0 == pair.1 }.count > 1 }
            #expect(clashes.isEmpty, "seed \(seed), \(columns) columns: \(clashes.map { "\($0) -> \($1)" })")
        }
    }
}

/// Issue 19, point 2: `--by hour` alone is a time view: every hour from the first to the last, empty ones
/// as `0` (a run of more than three as one line), and a bar per hour. Worked out here from the JSON summary.
@Suite struct TimelineTests {
    static func hourMillis(_ key: String) -> Int64? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH"
        return f.date(from: key).map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    @Test func hoursWithoutFailuresShowAndBarsFollowTheCounts() throws {
        let args = ["summarize", "samples/firehose/", "--by", "hour", "-q"]
        let json = try CLI.run(args + ["--format", "json"]).json()["groups"] as? [[String: Any]] ?? []
        var counts: [String: Int] = [:]
        for g in json { counts[(g["key"] as? [String: String])?["hour"] ?? ""] = g["count"] as? Int }
        let hours = counts.keys.sorted()
        #expect(hours.count > 10)
        // The lines expected: each hour's key, and between two hours either `0` rows or one gap line.
        var expected: [String] = []
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH"
        for (i, hour) in hours.enumerated() {
            if i > 0, let a = Self.hourMillis(hours[i - 1]), let b = Self.hourMillis(hour) {
                let empty = Int((b - a) / 3_600_000) - 1
                let first = f.string(from: Date(timeIntervalSince1970: Double(a + 3_600_000) / 1000))
                let last = f.string(from: Date(timeIntervalSince1970: Double(b - 3_600_000) / 1000))
                if empty > 3 {
                    expected.append("(\(empty.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) hours without failures: \(first) .. \(last))")
                } else if empty > 0 {
                    for k in 1...empty { expected.append(f.string(from: Date(timeIntervalSince1970: Double(a + Int64(k) * 3_600_000) / 1000)) + " 0") }
                }
            }
            expected.append("\(hour) \(counts[hour] ?? -1)")
        }
        let table = try CLI.run(args, environment: ["COLUMNS": "80"]).stdout
        let lines = table.split(separator: "\n").map(String.init)
        guard let header = lines.firstIndex(where: { $0.hasPrefix("HOUR") }) else {
            Issue.record("no HOUR header in \(table)")
            return
        }
        let body = Array(lines[(header + 1)...])
        let shown = body.map { line -> String in
            if line.hasPrefix("(") { return line }
            let cells = line.split(separator: " ", omittingEmptySubsequences: true)
            return "\(cells[0]) \(cells[1])"
        }
        #expect(shown == expected)
        #expect(lines.allSatisfy { TerminalText.width($0) <= 80 })
        // Bars: in eighths of a column, proportional to the count; the largest hour's is the longest.
        func eighths(_ line: String) -> Int {
            line.unicodeScalars.reduce(0) { n, s in
                if s == "█" { return n + 8 }
                if let k = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"].firstIndex(of: String(s)) { return n + k + 1 }
                return n
            }
        }
        let rows = body.filter { !$0.hasPrefix("(") }
        let largest = counts.values.max() ?? 1
        let full = rows.map(eighths).max() ?? 0
        #expect(full >= 8 * 20)
        for row in rows {
            let count = Int(row.split(separator: " ")[1].replacingOccurrences(of: ",", with: "")) ?? -1
            let want = count == 0 ? 0 : max(1, Int((Double(count) * Double(full) / Double(largest)).rounded()))
            #expect(abs(eighths(row) - want) <= 1, "\(row)")
        }
        // A width past any screen is taken as 1,000 columns: no line longer, no crash.
        let huge = try CLI.run(args, environment: ["COLUMNS": "1000000000000"])
        #expect(huge.status == 0 && huge.stdout.split(separator: "\n").allSatisfy { TerminalText.width(String($0)) <= 1000 })
        // Asked for counts first, the same hours are rows, largest first, with no empty ones.
        let byCount = try CLI.run(args + ["--sort", "count"], environment: ["COLUMNS": "80"]).stdout
        #expect(!byCount.contains("without failures") && !byCount.contains(" 0\n"))
    }
}
