/// Output formats of `records`.
public enum RecordsFormat: String, CaseIterable, Sendable {
    case ndjson, csv, json
}

/// Writes rows as they come: one reporter per format, all streaming.
public protocol RecordReporter {
    mutating func write(_ row: RecordRow, to out: OutputStream)
    mutating func finish(_ out: OutputStream)
}

/// One JSON object per line.
public struct NDJSONReporter: RecordReporter {
    public init() {}
    public mutating func write(_ row: RecordRow, to out: OutputStream) {
        out.write(JSONReporter.object(row) + "\n")
    }
    public mutating func finish(_ out: OutputStream) {}
}

/// One JSON array, streamed element by element.
public struct JSONReporter: RecordReporter {
    private var count = 0
    public init() {}

    static func object(_ row: RecordRow) -> String {
        "{" + zip(row.names, row.cells).map { "\(JSONOutput.quote($0)):\($1.jsonText)" }.joined(separator: ",") + "}"
    }

    public mutating func write(_ row: RecordRow, to out: OutputStream) {
        out.write((count == 0 ? "[\n" : ",\n") + Self.object(row))
        count += 1
    }

    public mutating func finish(_ out: OutputStream) {
        out.write(count == 0 ? "[]\n" : "\n]\n")
    }
}

/// RFC 4180 CSV with a header row; cells that could run as spreadsheet formulas are neutralised.
public struct CSVReporter: RecordReporter {
    private var header: [String]?
    private let headerIfEmpty: [String]

    public init(headerIfEmpty: [String]) { self.headerIfEmpty = headerIfEmpty }

    public mutating func write(_ row: RecordRow, to out: OutputStream) {
        if header == nil {
            header = row.names
            out.write(CSVOutput.row(row.names.map { CSVOutput.cell($0) }))
        }
        out.write(CSVOutput.row(row.cells.map(\.csvText)))
    }

    public mutating func finish(_ out: OutputStream) {
        if header == nil { out.write(CSVOutput.row(headerIfEmpty.map { CSVOutput.cell($0) })) }
    }
}
