import DeadLetterRecords
/// Decoded payloads byte for byte, each followed by a newline unless it ends with one; with `--explode`,
/// the messages of CloudWatch Logs events one per line.
public struct RawTarget: BackfillTarget {
    public var explode = false

    public init(explode: Bool = false) { self.explode = explode }

    public var name: String { "raw" }
    public var packaging: FilePackaging { FilePackaging(prefix: name, fileExtension: "txt") }
    public var serviceLimits: BatchLimits { BatchLimits(maxBytes: 16 << 20) }
    public var payloadNeeds: PayloadNeeds { PayloadNeeds(events: explode, bytes: true) }
    public var manifestOptions: [(String, String)] { [("explode", explode ? "true" : "false")] }

    static func line(_ bytes: [UInt8]) -> [UInt8] {
        bytes.last == 0x0A ? bytes : bytes + [0x0A]
    }

    public func rejection(for record: FailureRecord) -> Rejection? {
        if let why = payloadRejection(record) { return why }
        if explode && (record.payload.cloudWatch?.events?.isEmpty ?? true) { return Self.noLogEvents }
        return nil
    }

    static let noLogEvents = Rejection("no-log-events", "--explode writes CloudWatch Logs events; this record carries none")

    public func items(for record: FailureRecord) -> Result<[BackfillItem], Rejection> {
        let payload: [UInt8]
        switch payloadBytes(record) {
        case .failure(let r): return .failure(r)
        case .success(let p): payload = p
        }
        guard explode else { return .success([BackfillItem(bytes: Self.line(payload))]) }
        guard let events = record.payload.cloudWatch?.events, !events.isEmpty else { return .failure(Self.noLogEvents) }
        // One entry per event, so the summary's entries are the lines written (messages spanning lines aside).
        return .success(events.map { BackfillItem(bytes: Self.line(Array(($0.message ?? "").utf8))) })
    }
}
