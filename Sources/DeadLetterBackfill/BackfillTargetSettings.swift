import DeadLetterQuery
import DeadLetterSupport
/// The flags that shape the files of one target, as one value: `backfill` fills it from its flags in one
/// place, and each target takes the settings it reads. The initializer has no defaults, so a setting added
/// here cannot be left unfilled by the command.
public struct BackfillTargetSettings: Sendable {
    /// raw: one line per CloudWatch Logs event message.
    public var explode: Bool
    /// firehose: the delivery stream.
    public var stream: String?
    /// opensearch: the index for every document.
    public var index: String?
    /// opensearch: keep esTypeName as _type.
    public var keepType: Bool
    /// opensearch: the field text payloads are wrapped in.
    public var wrapText: String?
    /// eventbridge: the bus to put into.
    public var eventBus: String?
    /// eventbridge: the source to re-put under.
    public var source: String?
    /// redshift: the COPY's table, role, manifest location and format options.
    public var table: String?
    public var iamRole: String?
    public var manifestURL: String?
    public var copyOptions: String
    /// splunk-hec: index, sourcetype, source and host for the events written.
    public var hec: HECMetadata

    public static let defaultCopyOptions = "FORMAT AS JSON 'auto'"

    public init(explode: Bool, stream: String?, index: String?, keepType: Bool, wrapText: String?, eventBus: String?,
                source: String?, table: String?, iamRole: String?, manifestURL: String?, copyOptions: String, hec: HECMetadata) {
        self.explode = explode
        self.stream = stream
        self.index = index
        self.keepType = keepType
        self.wrapText = wrapText
        self.eventBus = eventBus
        self.source = source
        self.table = table
        self.iamRole = iamRole
        self.manifestURL = manifestURL
        self.copyOptions = copyOptions
        self.hec = hec
    }

    /// No setting given: what the command has with none of the target flags.
    public init() {
        self.init(explode: false, stream: nil, index: nil, keepType: false, wrapText: nil, eventBus: nil, source: nil,
                  table: nil, iamRole: nil, manifestURL: nil, copyOptions: Self.defaultCopyOptions, hec: HECMetadata())
    }

    public func makeTarget(_ name: BackfillTargetName) throws(UsageError) -> any BackfillTarget {
        switch name {
        case .opensearch: return OpenSearchTarget(indexOverride: index, keepType: keepType, wrapTextField: wrapText)
        case .splunkHEC: return SplunkHECTarget(metadata: hec)
        case .firehose:
            guard let stream, !stream.isEmpty else { throw UsageError("--target firehose needs --stream NAME (the delivery stream to re-put into)") }
            return FirehoseTarget(streamName: stream)
        case .httpEndpoint: return HTTPEndpointTarget()
        case .snowflake: return SnowflakeTarget()
        case .redshift: return RedshiftTarget(table: table, iamRole: iamRole, manifestURL: manifestURL, copyOptions: copyOptions)
        case .raw: return RawTarget(explode: explode)
        case .eventbridge: return EventBridgeTarget(eventBus: eventBus, sourceOverride: source)
        }
    }

    /// The settings of one part of a split backfill: split by stream, a Firehose part goes back to the stream
    /// it failed in; `--stream` is then for the records whose stream is not known.
    func forPart(field: RecordField, value: String?) -> BackfillTargetSettings {
        var settings = self
        if field == .stream, let value { settings.stream = value }
        return settings
    }
}
