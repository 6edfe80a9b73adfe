import DeadLetterSupport
/// One input to read: a local file, standard input, and later an S3 object or a queue. Record decoding and
/// the engine see only this: a name, maybe a size, an identity, and bytes once opened.
public struct InputUnit: Sendable {
    /// As shown to the user (`-` for stdin). Records are attributed to it, and its folders mirror the S3 key,
    /// so the family and the stream are read from it.
    public let name: String
    /// Bytes as stored, when known before reading: the progress line's ETA. nil for streams.
    public let size: Int64?
    /// Where the bytes are and how to open them; one type per kind of source.
    public let origin: any InputOrigin

    public init(name: String, size: Int64?, origin: any InputOrigin) {
        self.name = name
        self.size = size
        self.origin = origin
    }

    /// Read as a stream (stdin, a FIFO, a character device): a read may wait for a writer indefinitely.
    public var isStream: Bool { size == nil }

    /// Tells two units apart however they were named (two links to one file are one input).
    public var identity: InputIdentity { origin.identity }

    /// `counting`: where to add the raw bytes read, for the progress line.
    public func open(counting progress: ProgressCounters? = nil) throws(InputError) -> OpenedInput {
        try origin.open(counting: progress)
    }
}

/// What one kind of source knows about a unit it listed: which thing it is and how to open it.
public protocol InputOrigin: Sendable {
    var identity: InputIdentity { get }
    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput
    /// The unit was listed but goes to another shard (`--shard`): a source that fetches ahead must not fetch it.
    func leftToAnotherShard()
}

extension InputOrigin {
    public func leftToAnotherShard() {}
}

/// Which thing a unit is, within its kind of source: a file's device and inode, an object's bucket and key.
public struct InputIdentity: Hashable, Sendable {
    /// The kind of source (`file`, `stdin`, ...), so identities of different kinds never collide.
    public let scheme: String
    public let key: String

    public init(scheme: String, key: String) {
        self.scheme = scheme
        self.key = key
    }
}

/// An opened unit: its raw bytes (compression is sniffed later) and how many of them were consumed so far.
public struct OpenedInput {
    public let bytes: ByteSource
    public let bytesRead: () -> Int64

    public init(bytes: ByteSource, bytesRead: @escaping () -> Int64) {
        self.bytes = bytes
        self.bytesRead = bytesRead
    }

    init(_ source: FileDescriptorSource) {
        self.init(bytes: source, bytesRead: { source.bytesRead })
    }
}

/// An argument that named nothing readable, with the reason; notes (FIFOs skipped, links read once, empty
/// files) do not make the run fail, problems do.
public struct InputProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var isNote: Bool = false
    /// False in shards but the first (`--shard`): the problem is reported and fails the run, but counted in
    /// `inputErrors` by shard 0 only, so that the shards' summaries add up to one run's.
    public var counted = true
    public var description: String { "\(path): \(reason)" }

    public init(path: String, reason: String, isNote: Bool = false) {
        self.path = path
        self.reason = reason
        self.isNote = isNote
    }
}

/// The units the arguments name, in reading order, and what could not be used.
public struct InputListing: Sendable {
    public var units: [InputUnit] = []
    public var problems: [InputProblem] = []
    /// Set when this is one shard's share of a listing (`--shard`).
    public var shard: ShardMark?

    public init() {}

    /// The total size of the units for the progress line's ETA; nil when one is a stream.
    public var totalBytes: Int64? {
        var total: Int64 = 0
        for unit in units {
            guard let size = unit.size else { return nil }
            total += size
        }
        return total
    }
}

/// A kind of source: lists the units of the arguments it claims. It keeps state across arguments (a file
/// named twice is read once), so one value serves a whole run.
public protocol InputSource {
    /// Whether `argument` is this source's, judged from the text alone (its scheme): no file system call
    /// may come before the argument's source is chosen.
    func claims(_ argument: String) -> Bool
    /// Appends the units `argument` names, in reading order, and its problems.
    mutating func list(_ argument: String, into listing: inout InputListing)
    /// False for a source whose listing already consumes what it lists (a queue: listing receives every
    /// message), so that N shards cannot each list it.
    var canBeSharded: Bool { get }
}

extension InputSource {
    public var canBeSharded: Bool { true }
}

/// Makes the sources a run reads from, ahead of local paths: the executable adds `s3://` (the layer that
/// reaches AWS sits above this one). Called once per run, as sources keep state across arguments.
public typealias RemoteSources = @Sendable () -> [any InputSource]

/// Chooses each argument's source and lists all units in argument order.
public enum InputSources {
    /// Remote sources (`s3://`, queues) go before `LocalPaths`, which claims whatever is left.
    /// `window`: `--since`/`--until`, for leaving out local dated folders that hold nothing inside it.
    public static func list(_ arguments: [String], remote: RemoteSources = { [] }, window: TimeWindow? = nil) -> InputListing {
        list(arguments, sources: remote() + [LocalPaths(window: window)])
    }

    static func list(_ arguments: [String], sources: [any InputSource]) -> InputListing {
        var sources = sources
        var listing = InputListing()
        for argument in arguments {
            guard let index = sources.firstIndex(where: { $0.claims(argument) }) else {
                listing.problems.append(InputProblem(path: argument, reason: "no input source reads this"))
                continue
            }
            sources[index].list(argument, into: &listing)
        }
        return listing
    }
}
