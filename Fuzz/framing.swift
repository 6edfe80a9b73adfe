// libFuzzer target: bytes → frames → records (JSON scanner, frame reader, record decoder, payload typing).
// Built by scripts/fuzz together with the library sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFraming(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // The first byte picks the read size, so values straddle read boundaries everywhere.
    let chunk = max(1, Int(bytes.first ?? 1))
    var options = ReadOptions()
    options.maxRecordBytes = 1 << 16
    options.maxPayloadBytes = 1 << 20
    options.payloadNeeds = PayloadNeeds(keep: true, paths: [["a", "0", "b"]], events: true, bytes: true)
    var reader = RecordReader(options: options)
    var records = 0, malformed = 0
    var stats: FileStatistics?
    reader.read(OpenedInput(bytes: MemorySource(Array(bytes.dropFirst()), chunk: chunk), bytesRead: { 0 }), name: "processing-failed/x") { event in
        switch event {
        case .record(let r):
            records += 1
            _ = RowBuilder(fields: nil).row(r)
            _ = RowBuilder(fields: nil).eventRows(r)
            _ = RecordField.message.value(of: r)
        case .malformed: malformed += 1
        case .finished(let s): stats = s
        default: break
        }
        return true
    }
    // Counts stay consistent whatever the bytes: blank lines are lines, and a read that produced lines
    // produced records, malformed units or blank lines.
    if let stats {
        precondition(stats.blankLines <= stats.lines, "more blank lines than lines")
        precondition(stats.lines == 0 || records + malformed + stats.blankLines > 0, "lines read but nothing counted")
    }
    return 0
}
