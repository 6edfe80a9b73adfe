import DeadLetterBytes
import DeadLetterQuery
/// `summarize --format csv`: one row per group, the group fields first.
public enum SummaryCSV {
    public static func render(_ summary: Summary) -> String {
        var out = CSVOutput.row(summary.groupBy.map(\.name)
            + ["count", "payloadBytes", "firstArrival", "lastArrival", "attemptsMin", "attemptsMax", "logEvents"])
        for g in summary.groups {
            var cells = g.key.map { CSVOutput.cell($0) }
            cells.append(String(g.count))
            cells.append(String(g.payloadBytes))
            cells.append(g.arrival.map { UTCTime.rfc3339($0.min) } ?? "")
            cells.append(g.arrival.map { UTCTime.rfc3339($0.max) } ?? "")
            cells.append(g.attempts.map { String($0.min) } ?? "")
            cells.append(g.attempts.map { String($0.max) } ?? "")
            cells.append(String(g.logEvents))
            out += CSVOutput.row(cells)
        }
        return out
    }
}
