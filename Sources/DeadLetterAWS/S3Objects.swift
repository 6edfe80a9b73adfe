import DeadLetterInput
import DeadLetterSupport

/// How `s3://` arguments are read.
public struct S3InputSettings: Sendable {
    /// Makes the client on first use, so a run over local files never reads AWS settings or credentials.
    public var makeClient: @Sendable () throws(AWSError) -> S3Client
    /// `--since`/`--until`, for pruning dated folders.
    public var window: TimeWindow?
    /// GETs in flight at once (`--s3-concurrency`).
    public var concurrency: Int
    /// Bytes that may wait in memory across all objects being downloaded ahead of the reader.
    public var readAheadBytes = 16 << 20
    /// Keys per ListObjectsV2 page; nil for S3's default (1,000).
    public var pageSize: Int?

    public init(makeClient: @escaping @Sendable () throws(AWSError) -> S3Client, window: TimeWindow?, concurrency: Int) {
        self.makeClient = makeClient
        self.window = window
        self.concurrency = max(1, concurrency)
    }
}

/// `s3://BUCKET/PREFIX` arguments: every object under the prefix, in the order a local copy of the tree is
/// walked (folder by folder, names in byte order), so results equal those of the same tree read locally.
/// An object named by two arguments is read once. Objects are downloaded ahead of the reader, up to
/// `concurrency` at once, each into a bounded channel, so memory stays flat however large the bucket.
public struct S3Objects: InputSource {
    private let settings: S3InputSettings
    private var downloads: S3Downloads?
    private var clientFailure: AWSError?
    private var seen: Set<String> = []

    public init(_ settings: S3InputSettings) {
        self.settings = settings
    }

    public func claims(_ argument: String) -> Bool { argument.hasPrefix("s3://") }

    public mutating func list(_ argument: String, into listing: inout InputListing) {
        guard let location = S3Location(argument) else {
            listing.problems.append(InputProblem(path: argument, reason: "not an S3 URL: write s3://BUCKET/PREFIX"))
            return
        }
        if downloads == nil && clientFailure == nil {
            do throws(AWSError) {
                let client = try settings.makeClient()
                downloads = S3Downloads(client: client, window: settings.concurrency, budget: Int64(settings.readAheadBytes),
                                        channelCapacity: max(64 << 10, min(1 << 20, settings.readAheadBytes / settings.concurrency)))
            } catch {
                clientFailure = error
            }
        }
        guard let downloads else {
            listing.problems.append(InputProblem(path: argument, reason: clientFailure?.message ?? "cannot reach S3"))
            return
        }
        let window = settings.window
        let pageSize = settings.pageSize
        let client = downloads.client
        let result: Result<S3Listing, AWSError> = blockingAwait { () async -> Result<S3Listing, AWSError> in
            do throws(AWSError) {
                return .success(try await client.list(location, window: window, pageSize: pageSize))
            } catch {
                return .failure(error)
            }
        }
        let found: S3Listing
        switch result {
        case .success(let value): found = value
        case .failure(let error):
            listing.problems.append(InputProblem(path: argument, reason: error.message))
            return
        }
        if found.prunedFolders > 0 {
            listing.problems.append(InputProblem(
                path: argument,
                reason: "\(found.prunedFolders) dated folder\(found.prunedFolders == 1 ? "" : "s") outside --since/--until skipped "
                    + "unread; \(found.keptHours) hour folder\(found.keptHours == 1 ? "" : "s") read",
                isNote: true))
        }
        if found.objects.isEmpty {
            listing.problems.append(InputProblem(path: argument, reason: "no object or folder of that name", isNote: true))
        }
        for object in Self.inTreeOrder(found.objects) {
            let name = "s3://\(location.bucket)/\(object.key)"
            guard seen.insert(name).inserted else {
                listing.problems.append(InputProblem(path: name, reason: "named by another argument too; read once", isNote: true))
                continue
            }
            if object.size == 0 {
                listing.problems.append(InputProblem(path: name, reason: "empty object (0 bytes)", isNote: true))
            }
            let index = downloads.add(S3Downloads.Object(bucket: location.bucket, key: object.key, etag: object.etag, size: object.size))
            listing.units.append(InputUnit(name: name, size: object.size, origin: S3Object(downloads: downloads, index: index, name: name)))
        }
    }

    /// Key order as a local walk of the same tree reads it: folder by folder, names in byte order. (Plain
    /// key order differs where a name sorts below `/`: `a.json` comes before `a/b` in S3, after it on disk.)
    static func inTreeOrder(_ objects: [S3ListPage.Object]) -> [S3ListPage.Object] {
        objects.map { (Array($0.key.utf8).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false), $0) }
            .sorted { a, b in
                for (x, y) in zip(a.0, b.0) where x != y { return x.lexicographicallyPrecedes(y) }
                return a.0.count < b.0.count
            }
            .map(\.1)
    }
}

/// One listed object: opened, it is the download's channel (started ahead, or now).
struct S3Object: InputOrigin {
    let downloads: S3Downloads
    let index: Int
    let name: String

    var identity: InputIdentity { InputIdentity(scheme: "s3", key: name) }

    func leftToAnotherShard() { downloads.exclude(index) }

    func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput {
        let channel = downloads.open(index)
        channel.progress = progress
        return OpenedInput(bytes: ChannelReader(channel), bytesRead: { channel.bytesRead })
    }
}

/// Hands the reader its channel and cancels the download if the reader stops early (a closed pipe).
final class ChannelReader: ByteSource {
    let channel: ByteChannel
    init(_ channel: ByteChannel) { self.channel = channel }
    deinit { channel.cancel() }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int { try channel.read(into: buffer) }
}

/// The downloads of one run, started in reading order, ahead of the reader: opening object i starts the
/// objects after the furthest one opened, up to `window` of them and, past the next one, no more than
/// `budget` bytes (by their listed sizes). Small objects (Firehose's usual few hundred KB) get the whole
/// window, hiding each GET's latency; large ones get fewer at once, so memory stays flat whatever their
/// size. Each download waits in a bounded channel until the reader gets there.
final class S3Downloads: @unchecked Sendable {
    // @unchecked: every var is touched only under `lock`.
    struct Object: Sendable {
        var bucket: String
        var key: String
        var etag: String
        var size: Int64
    }

    let client: S3Client
    private let window: Int
    private let budget: Int64
    private let channelCapacity: Int
    private let lock = Lock()
    private var objects: [Object] = []
    /// Listed sizes summed up to and including each object: the bytes between two objects in O(1).
    /// Objects of other shards count 0 bytes and 0 objects: they are never fetched.
    private var sizeSums: [Int64] = []
    /// Objects summed the same way: how many of the window's objects lie between two.
    private var countSums: [Int] = []
    /// Objects another shard reads (`--shard`); the sums are made again before the next open.
    private var excluded: Set<Int> = []
    private var sumsAreStale = false
    private var channels: [Int: ByteChannel] = [:]
    /// Objects below this index were started.
    private var started = 0
    /// The furthest object opened so far (-1: none).
    private var furthest = -1

    init(client: S3Client, window: Int, budget: Int64, channelCapacity: Int) {
        self.client = client
        self.window = max(1, window)
        self.budget = budget
        self.channelCapacity = channelCapacity
    }

    deinit {
        for channel in channels.values { channel.cancel() }
    }

    func add(_ object: Object) -> Int {
        lock.withLock {
            objects.append(object)
            sizeSums.append((sizeSums.last ?? 0) + max(0, object.size))
            countSums.append((countSums.last ?? 0) + 1)
            return objects.count - 1
        }
    }

    func exclude(_ index: Int) {
        lock.withLock {
            excluded.insert(index)
            sumsAreStale = true
        }
    }

    private func remakeSums() {
        var bytes: Int64 = 0, count = 0
        for i in objects.indices {
            if !excluded.contains(i) {
                bytes += max(0, objects[i].size)
                count += 1
            }
            sizeSums[i] = bytes
            countSums[i] = count
        }
        sumsAreStale = false
    }

    func open(_ index: Int) -> ByteChannel {
        let (channel, toStart): (ByteChannel, [(Object, ByteChannel)]) = lock.withLock {
            var toStart: [(Object, ByteChannel)] = []
            func start(_ i: Int) -> ByteChannel {
                let channel = ByteChannel(capacity: channelCapacity)
                toStart.append((objects[i], channel))
                return channel
            }
            if sumsAreStale { remakeSums() }
            furthest = max(furthest, index)
            // Objects the reader skipped past are no use ahead of it; objects behind it were handed out.
            started = max(started, furthest + 1)
            let before = furthest < 0 ? 0 : sizeSums[furthest]
            let objectsBefore = furthest < 0 ? 0 : countSums[furthest]
            while started < objects.count {
                // Another shard's object: never fetched here, and not counted against the window or budget.
                if excluded.contains(started) {
                    started += 1
                    continue
                }
                let ahead = countSums[started] - objectsBefore
                guard ahead <= window, ahead == 1 || sizeSums[started] - before <= budget else { break }
                channels[started] = start(started)
                started += 1
            }
            // The object itself: started ahead (usually), or now (the first, or one opened again).
            let channel = channels.removeValue(forKey: index) ?? start(index)
            return (channel, toStart)
        }
        let client = self.client
        for (object, channel) in toStart {
            Task { await client.download(bucket: object.bucket, key: object.key, etag: object.etag, size: object.size, into: channel) }
        }
        return channel
    }
}
