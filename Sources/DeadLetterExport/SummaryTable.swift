import DeadLetterBytes
import DeadLetterQuery
/// `summarize --format table`: totals and the time range on top, then one row per group, fitted to the
/// terminal width (80 columns when unknown) unless `wide`.
public struct SummaryTable {
    public var width: Int = 80
    public var wide = false
    public var color = false
    /// Draw a summary grouped by hour or day alone along time (empty buckets shown, a bar each) rather than
    /// as rows: set when its groups are in time order.
    public var timeline = false

    public init(width: Int = 80, wide: Bool = false, color: Bool = false, timeline: Bool = false) {
        self.width = width
        self.wide = wide
        self.color = color
        self.timeline = timeline
    }

    private func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    public func render(_ summary: Summary) -> String {
        let t = summary.totals
        var out = ""
        let fileWord = t.files == 1 ? "file" : "files"
        out += "\(HumanNumber.grouped(t.records)) records, \(HumanNumber.grouped(t.malformed)) malformed, "
        out += "\(HumanNumber.grouped(t.blankLines)) blank lines in \(HumanNumber.grouped(t.files)) \(fileWord) (\(HumanNumber.bytes(t.bytesRead)) read)\n"
        out += "payload \(HumanNumber.bytes(t.payloadBytes)) decoded, \(HumanNumber.grouped(t.undecodable)) undecodable, "
        out += "\(HumanNumber.grouped(t.logEvents)) CloudWatch Logs events\n"
        if let first = t.firstArrival, let last = t.lastArrival {
            out += "arrival \(UTCTime.rfc3339(first)) .. \(UTCTime.rfc3339(last))\n"
        } else {
            out += "arrival (none)\n"
        }
        // Each note only when its count is not zero, in this order.
        let notes: [(count: Int, text: String)] = [
            (t.controlMessages, "CONTROL_MESSAGE records: health checks, not lost data"),
            (t.trailingJunk, "lines had junk after their JSON object (the object was read; see warnings)"),
            (t.messageIdConflicts, "SQS messages reuse a MessageId read before with a different body (each kept as a record)"),
            (t.payloadProblems - t.valuesOutOfRange - t.valuesNotNumbers, "gzip payloads could not be inflated (see warnings)"),
            (t.valuesOutOfRange, "numbers or times were out of range and read as missing (see warnings)"),
            (t.valuesNotNumbers, "numeric fields held values that are not numbers, kept in otherFields (see warnings)"),
            (t.inputErrors, "inputs could not be read completely (see errors)"),
        ]
        for note in notes where note.count > 0 {
            out += "note: \(HumanNumber.grouped(note.count)) \(note.text)\n"
        }
        out += "\n"
        guard !summary.groups.isEmpty else { return out + "no records\n" }
        if timeline, let line = Timeline(summary) { return out + render(line, records: t.records) }

        // Columns: group keys, then COUNT, %, PAYLOAD, FIRST, LAST.
        let sameYear = t.firstArrival.map(UTCTime.civil)?.year == t.lastArrival.map(UTCTime.civil)?.year
        func when(_ ms: Int64?) -> String {
            guard let ms else { return "-" }
            return UTCTime.minute(ms, withYear: wide || !sameYear)
        }
        var headers = summary.groupBy.map { $0.name.uppercased() }
        let keyCount = headers.count
        headers += ["COUNT", "%", "PAYLOAD", "FIRST", "LAST"]
        let rightAligned = Set(keyCount..<(keyCount + 3))
        var rows: [[String]] = summary.groups.map { g in
            g.key.map { TerminalText.escape($0) } + [
                HumanNumber.grouped(g.count), HumanNumber.percent(g.count, of: t.records), HumanNumber.bytes(g.payloadBytes),
                when(g.arrival?.min), when(g.arrival?.max),
            ]
        }
        var widths = headers.indices.map { c in
            max(TerminalText.width(headers[c]), rows.map { TerminalText.width($0[c]) }.max() ?? 0)
        }
        var visible = Array(headers.indices)
        var hidden: [String] = []
        let gap = 2
        if !wide {
            let fit = fitColumns(widths: widths, keyCount: keyCount, keyFloors: (0..<keyCount).map { c in
                // A path needs room for its first component and its file name to be read at all, a message
                // for a few words.
                switch summary.groupBy[c] {
                case .file, .prefix: return min(widths[c], 36)
                case .message, .errorMessage: return min(widths[c], 32)
                default: return min(widths[c], 20)
                }
            })
            widths = fit.widths
            visible = fit.visible
            hidden = headers.indices.filter { !visible.contains($0) }.map { headers[$0] }
            for c in 0..<keyCount where rows.contains(where: { TerminalText.width($0[c]) > widths[c] }) {
                let shown = ColumnShortener.shorten(rows.map { $0[c] }, to: widths[c])
                for r in rows.indices { rows[r][c] = shown[r] }
            }
        }
        func line(_ cells: [String], header: Bool) -> String {
            var parts: [String] = []
            for c in visible {
                var cell = TerminalText.pad(cells[c], to: widths[c], right: rightAligned.contains(c))
                if header { cell = paint(cell, "1") }
                else if c == keyCount { cell = paint(cell, "33") }
                else if c < keyCount && summary.groupBy[c] == .errorCode { cell = paint(cell, "31") }
                parts.append(cell)
            }
            var text = parts.joined(separator: String(repeating: " ", count: gap))
            while text.hasSuffix(" ") { text.removeLast() }
            return text + "\n"
        }
        out += line(headers, header: true)
        for row in rows { out += line(row, header: false) }
        out += leftOut(hidden)
        if let top = summary.top, summary.groups.last?.key.allSatisfy({ $0 == Summary.otherKey }) == true {
            out += "(groups after the first \(top) are folded into (other))\n"
        }
        return out
    }

    /// Which columns show and how wide, within `width`: key columns first get their floor, then the
    /// columns a reader misses least are left out until the rest fits (%, LAST, PAYLOAD, FIRST), and
    /// whatever room is left goes back to the key columns, most-shortened first.
    func fitColumns(widths natural: [Int], keyCount: Int, keyFloors: [Int]) -> (widths: [Int], visible: [Int]) {
        let gap = 2
        var widths = natural
        for c in 0..<keyCount { widths[c] = keyFloors[c] }
        var visible = Array(natural.indices)
        func used() -> Int { visible.map { widths[$0] }.reduce(0, +) + gap * (visible.count - 1) }
        for dropped in [keyCount + 1, keyCount + 4, keyCount + 2, keyCount + 3] where used() > width {
            visible.removeAll { $0 == dropped }
        }
        // Still too wide: key columns go below their floors, down to 8.
        while used() > width, let c = (0..<keyCount).filter({ widths[$0] > 8 }).max(by: { widths[$0] < widths[$1] }) {
            widths[c] -= 1
        }
        while used() < width, let c = (0..<keyCount).filter({ widths[$0] < natural[$0] })
            .max(by: { natural[$0] - widths[$0] < natural[$1] - widths[$1] }) {
            widths[c] += 1
        }
        return (widths, visible)
    }

    /// The time view: a row per bucket from the first to the last, `0` for an empty one, a run of more than
    /// three empty buckets as one line, and a bar per bucket in the room the other columns leave.
    func render(_ timeline: Timeline, records: Int) -> String {
        func percent(_ count: Int) -> String { HumanNumber.percent(count, of: records) }
        func clock(_ ms: Int64?) -> String { ms.map(UTCTime.clock) ?? "" }
        func key(_ start: Int64) -> String { timeline.unit == .hour ? UTCTime.hour(start) : UTCTime.day(start) }
        var cells: [[String]] = []
        var counts: [Int] = []
        var gapTexts: [Int: String] = [:]
        for row in timeline.rows {
            switch row {
            case .bucket(let start, let group?):
                cells.append([key(start), HumanNumber.grouped(group.count), percent(group.count), HumanNumber.bytes(group.payloadBytes),
                              clock(group.arrival?.min), clock(group.arrival?.max)])
                counts.append(group.count)
            case .bucket(let start, nil):
                cells.append([key(start), "0", "", "", "", ""])
                counts.append(0)
            case .gap(let start, let buckets):
                let last = start + Int64(buckets - 1) * timeline.unit.millis
                gapTexts[cells.count] = "(\(HumanNumber.grouped(buckets)) \(timeline.unit.name)s without failures: \(key(start)) .. \(key(last)))"
                cells.append([])
                counts.append(0)
            }
        }
        if let undated = timeline.undated {
            cells.append(["(none)", HumanNumber.grouped(undated.count), percent(undated.count), HumanNumber.bytes(undated.payloadBytes), "", ""])
            counts.append(undated.count)
        }
        let headers = [timeline.unit.name.uppercased(), "COUNT", "%", "PAYLOAD", "FIRST", "LAST"]
        let widths = headers.indices.map { c in max(headers[c].count, cells.map { $0.count > c ? TerminalText.width($0[c]) : 0 }.max() ?? 0) }
        // The bar takes what the columns leave; below 20 columns LAST, FIRST, PAYLOAD and % make way for it.
        var visible = Array(headers.indices)
        func used() -> Int { visible.map { widths[$0] }.reduce(0, +) + 2 * visible.count }
        if !wide { for dropped in [5, 4, 3, 2] where width - used() < 20 { visible.removeAll { $0 == dropped } } }
        let barWidth = wide ? 40 : max(width - used(), 1)
        let largest = max(counts.max() ?? 1, 1)
        func bar(_ count: Int) -> String {
            guard count > 0 else { return "" }
            // Eighths of a column, at least one so that no failing bucket looks empty.
            let eighths = max(1, Int((Double(count) * Double(barWidth * 8) / Double(largest)).rounded()))
            let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
            return paint(String(repeating: "█", count: eighths / 8) + partial, "36")
        }
        var out = ""
        func line(_ row: [String], bar: String, header: Bool) {
            var parts = visible.map { c in
                let cell = TerminalText.pad(row[c], to: widths[c], right: c > 0)
                return header ? paint(cell, "1") : cell
            }
            parts.append(bar)
            var text = parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            out += text + "\n"
        }
        line(headers, bar: "", header: true)
        for (i, row) in cells.enumerated() {
            if let gap = gapTexts[i] { out += paint(gap, "2") + "\n" } else { line(row, bar: bar(counts[i]), header: false) }
        }
        out += leftOut(headers.indices.filter { !visible.contains($0) }.map { headers[$0] })
        return out
    }

    /// The line that names the columns left out for want of room; empty when none were.
    func leftOut(_ hidden: [String]) -> String {
        hidden.isEmpty ? "" : "(\(hidden.joined(separator: " and ")) left out at \(width) columns; --wide shows every column)\n"
    }
}
