// libFuzzer target: the time parsers (RFC 3339, --since/--until) and the round trip every accepted time must
// make: written by `rfc3339` (or `appendRFC3339`), it parses back to the same millisecond. A mismatch traps,
// so the fuzzer reports it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTime(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let value = UTCTime.parseRFC3339(text) { roundTrip(value, from: text) }
    if let value = try? TimeArgument.parse(text, now: 1_709_654_400_000, flag: "--since") { roundTrip(value, from: text) }
    // The first eight bytes as epoch milliseconds: formatting is total, and within range it round-trips.
    if size >= 8 {
        let value = UnsafeRawPointer(data).loadUnaligned(as: Int64.self)
        _ = UTCTime.rfc3339(value)
        _ = UTCTime.hour(value)
        _ = UTCTime.minute(value, withYear: true)
        if UTCTime.supported.contains(value) { roundTrip(value, from: "\(value)") }
    }
    return 0
}

private func roundTrip(_ value: Int64, from source: String) {
    guard UTCTime.supported.contains(value) else { fatalError("'\(source)' parsed to \(value), outside the supported range") }
    let text = UTCTime.rfc3339(value)
    guard UTCTime.parseRFC3339(text) == value else { fatalError("'\(source)' → \(value) → '\(text)' does not parse back") }
    var appended: [UInt8] = []
    UTCTime.appendRFC3339(value, to: &appended)
    guard appended.elementsEqual(text.utf8) else { fatalError("appendRFC3339(\(value)) differs from rfc3339: '\(text)'") }
    let c = UTCTime.civil(value)
    guard UTCTime.millis(year: Int(c.year), month: c.month, day: c.day, hour: c.hour, minute: c.minute, second: c.second,
                         millisecond: c.millisecond) == value else { fatalError("civil(\(value)) = \(c) does not map back") }
}
