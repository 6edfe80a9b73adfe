// libFuzzer target: payload typing — base64, nested gzip with its cap, CloudWatch Logs JSON, JSON paths,
// compaction and JSON string output.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayload(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let decoder = PayloadDecoder(maxInflatedBytes: 1 << 20, needs: PayloadNeeds(keep: true, paths: [["logEvents", "0", "message"], ["a"]], events: true, bytes: true))
    _ = decoder.decode(plain: bytes)
    _ = decoder.decode(rawDataString: bytes, escaped: bytes.contains(0x5C))
    var scanner = JSONScanner()
    var members: [ScannedMember] = []
    _ = CloudWatchLogsPayload.parse(bytes, collectEvents: true, scanner: &scanner, members: &members)
    let compacted = JSONText.compact(bytes)
    var out: [UInt8] = []
    compacted.withUnsafeBufferPointer { JSONOutput.appendQuoted(bytes: $0, to: &out) }
    _ = TerminalText.escape(String(decoding: bytes, as: UTF8.self))
    _ = CSVOutput.cell(String(decoding: bytes, as: UTF8.self))
    return 0
}
