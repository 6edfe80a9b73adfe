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
    private var buffer: [UInt8] = []
    public init() {}
    public mutating func write(_ row: RecordRow, to out: OutputStream) {
        buffer.removeAll(keepingCapacity: true)
        JSONReporter.appendObject(row, to: &buffer)
        buffer.append(0x0A)
        buffer.withUnsafeBufferPointer { out.write(bytes: $0) }
    }
    public mutating func finish(_ out: OutputStream) {}
}

/// One JSON array, streamed element by element.
public struct JSONReporter: RecordReporter {
    private var count = 0
    public init() {}

    private var buffer: [UInt8] = []

    static func appendObject(_ row: RecordRow, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for i in row.names.indices {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONOutput.appendQuoted(row.names[i], to: &out)
            out.append(UInt8(ascii: ":"))
            row.cells[i].appendJSON(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    public mutating func write(_ row: RecordRow, to out: OutputStream) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: (count == 0 ? "[\n" : ",\n").utf8)
        Self.appendObject(row, to: &buffer)
        buffer.withUnsafeBufferPointer { out.write(bytes: $0) }
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
