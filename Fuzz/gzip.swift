// libFuzzer target: the gzip reader (members, truncation, corruption, trailing data) under the frame reader.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Make most inputs look like gzip so the inflater, not the sniffer, gets the bytes.
    if bytes.count >= 2 { bytes[0] = 0x1f; bytes[1] = 0x8b }
    var options = ReadOptions()
    options.maxRecordBytes = 1 << 16
    var reader = RecordReader(options: options)
    reader.read(OpenedInput(bytes: MemorySource(bytes, chunk: 7), bytesRead: { 0 }), name: "x.gz") { _ in true }
    return 0
}
