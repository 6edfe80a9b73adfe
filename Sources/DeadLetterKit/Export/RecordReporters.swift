/// Output formats of `records`.
public enum RecordsFormat: String, CaseIterable, Sendable {
    case ndjson, csv, json
}

/// One reporter per format, all streaming. Rendering a record's rows is pure, so it runs on the threads
/// that read; writing the rendered bytes keeps the state of the output (the header, the separators) and
/// runs in input order.
public protocol RecordReporter: Sendable {
    /// The bytes of one record's rows.
    func render(_ rows: [RecordRow]) -> [UInt8]
    mutating func write(rendered: [UInt8], to out: OutputStream)
    mutating func finish(_ out: OutputStream)
}

/// One JSON object per line.
public struct NDJSONReporter: RecordReporter {
    public init() {}

    public func render(_ rows: [RecordRow]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 1024)
        for row in rows {
            JSONReporter.appendObject(row, to: &bytes)
            bytes.append(0x0A)
        }
        return bytes
    }

    public mutating func write(rendered: [UInt8], to out: OutputStream) {
        rendered.withUnsafeBufferPointer { out.write(bytes: $0) }
    }

    public mutating func finish(_ out: OutputStream) {}
}

/// One JSON array, streamed element by element.
public struct JSONReporter: RecordReporter {
    private static let separator: [UInt8] = Array(",\n".utf8)
    private var started = false

    public init() {}

    static func appendObject(_ row: RecordRow, to out: inout [UInt8]) {
        let prefixes = row.keys.jsonPrefixes
        if prefixes.isEmpty { out.append(UInt8(ascii: "{")) }
        for i in prefixes.indices {
            out.append(contentsOf: prefixes[i])
            row.cells[i].appendJSON(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Each object after a separator; the first written has its separator replaced by the opening bracket.
    public func render(_ rows: [RecordRow]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 1024)
        for row in rows {
            bytes.append(contentsOf: Self.separator)
            Self.appendObject(row, to: &bytes)
        }
        return bytes
    }

    public mutating func write(rendered: [UInt8], to out: OutputStream) {
        guard !rendered.isEmpty else { return }
        rendered.withUnsafeBufferPointer { bytes in
            if started {
                out.write(bytes: bytes)
            } else {
                out.write("[\n")
                out.write(bytes: UnsafeBufferPointer(rebasing: bytes[Self.separator.count...]))
                started = true
            }
        }
    }

    public mutating func finish(_ out: OutputStream) {
        out.write(started ? "\n]\n" : "[]\n")
    }
}

/// RFC 4180 CSV with a header row; cells that could run as spreadsheet formulas are neutralised.
public struct CSVReporter: RecordReporter {
    private let header: [String]
    private var headerWritten = false

    /// `header`: the column names, written once, before the first row (or alone when there is none).
    public init(header: [String]) { self.header = header }

    public func render(_ rows: [RecordRow]) -> [UInt8] {
        var text = ""
        for row in rows { text += CSVOutput.row(row.cells.map(\.csvText)) }
        return Array(text.utf8)
    }

    public mutating func write(rendered: [UInt8], to out: OutputStream) {
        writeHeader(out)
        rendered.withUnsafeBufferPointer { out.write(bytes: $0) }
    }

    public mutating func finish(_ out: OutputStream) { writeHeader(out) }

    private mutating func writeHeader(_ out: OutputStream) {
        guard !headerWritten else { return }
        headerWritten = true
        out.write(CSVOutput.row(header.map { CSVOutput.cell($0) }))
    }
}
