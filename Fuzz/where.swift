// libFuzzer target: --where conditions, --since/--until times, RFC 3339 and the message fingerprint.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWhere(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? Condition(parsing: text)
    _ = try? TimeArgument.parse(text, now: 1_709_654_400_000)
    _ = UTCTime.parseRFC3339(text)
    _ = MessageFingerprint.fingerprint(text)
    _ = try? RecordField.parseList(text, for: .fields)
    _ = try? RecordField.parseList(text, for: .by)
    _ = ByteSize.parse(text)
    return 0
}
