import DeadLetterBytes
import DeadLetterQuery
/// `summarize --format table`: totals and the time range on top, then one row per group, fitted to the
/// terminal width (80 columns when unknown) unless `wide`.
public struct SummaryTable {
    public var width: Int = 80
    public var wide = false
    public var color = false

    public init(width: Int = 80, wide: Bool = false, color: Bool = false) {
        self.width = width
        self.wide = wide
        self.color = color
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
        let total = max(t.records, 1)
        var rows: [[String]] = summary.groups.map { g in
            let pct = Double(g.count) * 100 / Double(total)
            let tenths = Int((pct * 10).rounded())
            return g.key.map { TerminalText.escape($0) } + [
                HumanNumber.grouped(g.count), "\(tenths / 10).\(tenths % 10)%", HumanNumber.bytes(g.payloadBytes),
                when(g.arrival?.min), when(g.arrival?.max),
            ]
        }
        var widths = headers.indices.map { c in
            max(TerminalText.width(headers[c]), rows.map { TerminalText.width($0[c]) }.max() ?? 0)
        }
        var visible = Array(headers.indices)
        let gap = 2
        func totalWidth() -> Int { visible.map { widths[$0] }.reduce(0, +) + gap * (visible.count - 1) }
        if !wide {
            // Make room in order of what a reader misses least: the % column, long keys (balanced, down
            // to 20 columns), LAST, keys to 12, PAYLOAD, then keys down to 8 columns.
            func shrinkKeys(downTo floor: Int) {
                while totalWidth() > width {
                    guard let widest = (0..<keyCount).max(by: { widths[$0] < widths[$1] }), widths[widest] > floor else { return }
                    widths[widest] -= 1
                }
            }
            if totalWidth() > width { visible.removeAll { $0 == keyCount + 1 } }
            shrinkKeys(downTo: 20)
            if totalWidth() > width { visible.removeAll { $0 == keyCount + 4 } }
            shrinkKeys(downTo: 12)
            if totalWidth() > width { visible.removeAll { $0 == keyCount + 2 } }
            shrinkKeys(downTo: 8)
            for r in rows.indices {
                for c in 0..<keyCount { rows[r][c] = TerminalText.truncate(rows[r][c], to: widths[c]) }
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
        if let top = summary.top, summary.groups.last?.key.allSatisfy({ $0 == Summary.otherKey }) == true {
            out += "(groups after the first \(top) are folded into (other))\n"
        }
        return out
    }
}
