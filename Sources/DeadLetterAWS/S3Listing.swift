import DeadLetterBytes

/// The objects under an `s3://` prefix, and what time pruning left out.
public struct S3Listing: Sendable {
    public var objects: [S3ListPage.Object] = []
    /// Dated folders (`YYYY/`, `MM/`, `DD/`, `HH/`) outside `--since`/`--until`, not listed.
    public var prunedFolders = 0
    /// Hour folders listed (the dated folders that were read).
    public var keptHours = 0
    /// ListObjectsV2 calls made.
    public var listCalls = 0
}

/// `--since`/`--until` as epoch milliseconds (since inclusive, until exclusive), for pruning dated folders.
public struct TimeWindow: Sendable, Equatable {
    public var since: Int64?
    public var until: Int64?

    public init(since: Int64?, until: Int64?) {
        self.since = since
        self.until = until
    }

    /// Firehose names an object's folder after the arrival hour of the **oldest** record in it (formats.md,
    /// "Prefix rules"), and one object gathers at most one buffering interval (≤ 15 minutes) of records. So
    /// a folder that starts at or after `until` holds nothing before it, and one that ends more than an hour
    /// before `since` holds nothing after it; the hour of slack keeps every record the filter would select.
    static let slack: Int64 = 3_600_000

    func overlaps(start: Int64, end: Int64) -> Bool {
        if let until, start >= until { return false }
        if let since, end + Self.slack <= since { return false }
        return true
    }
}

extension S3Client {
    /// The objects `location` names, in key order (folder markers, keys ending in `/`, left out). As a local
    /// path names a file or a directory, `s3://b/errors` is the object `errors` or the folder `errors/`, never
    /// `errors-old/`; `s3://b/errors/` and `s3://b/` are folders. With a time window, folders that follow
    /// Firehose's `YYYY/MM/DD/HH/` layout are listed only for the hours that can hold selected records; other
    /// folders are listed whole.
    public func list(_ location: S3Location, window: TimeWindow?, pageSize: Int? = nil) async throws(AWSError) -> S3Listing {
        var listing = S3Listing()
        let prefix = location.prefix
        let named = prefix.isEmpty || prefix.hasSuffix("/") ? nil : prefix
        if let window, window.since != nil || window.until != nil {
            // A prefix that ends inside a dated tree (`.../2024/03/`) is pruned from there on.
            let seed = named == nil ? Self.datedSuffix(prefix) : []
            if !seed.isEmpty {
                let (start, end) = Self.span(seed)
                if !window.overlaps(start: start, end: end) {
                    listing.prunedFolders += 1
                } else if seed.count == 4 {
                    listing.keptHours += 1
                    try await listFlat(location.bucket, prefix: prefix, pageSize: pageSize, into: &listing)
                } else {
                    try await walk(location.bucket, prefix: prefix, dated: seed, window: window, pageSize: pageSize, into: &listing)
                }
            } else {
                try await walk(location.bucket, prefix: prefix, dated: [], window: window, pageSize: pageSize,
                               only: named.map { $0 + "/" }, into: &listing)
            }
        } else {
            try await listFlat(location.bucket, prefix: prefix, pageSize: pageSize, into: &listing)
        }
        listing.objects.removeAll { object in
            if object.key.hasSuffix("/") { return true }
            guard let named else { return false }
            return object.key != named && !object.key.hasPrefix(named + "/")
        }
        return listing
    }

    private func listFlat(_ bucket: String, prefix: String, pageSize: Int?, into listing: inout S3Listing) async throws(AWSError) {
        var token: String?
        repeat {
            let page = try await listPage(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            listing.listCalls += 1
            listing.objects += page.objects
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
    }

    /// One folder level with the delimiter `/`. `dated` holds the year, month, day reached so far inside a
    /// dated tree (empty outside one).
    /// The year, month, day, hour a folder prefix ends with (`errors/2024/03/` gives [2024, 3]); empty when
    /// its last folders are not a dated path from the year down.
    static func datedSuffix(_ prefix: String) -> [Int] {
        guard prefix.hasSuffix("/") else { return [] }
        let names = prefix.dropLast().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for count in stride(from: min(4, names.count), through: 1, by: -1) {
            var dated: [Int] = []
            for name in names.suffix(count) {
                guard let next = datedLevel(name, after: dated) else { break }
                dated = next
            }
            if dated.count == count { return dated }
        }
        return []
    }

    /// Folders this deep below the prefix without a dated one are listed whole, in one go: a bucket laid out
    /// otherwise would cost one call per folder.
    static let undatedDepth = 3

    /// `only`: the one folder to descend into at this level (the folder a prefix without `/` names).
    /// `depth`: undated folder levels walked so far.
    private func walk(_ bucket: String, prefix: String, dated: [Int], window: TimeWindow, pageSize: Int?, only: String? = nil,
                      depth: Int = 0, into listing: inout S3Listing) async throws(AWSError) {
        var token: String?
        var folders: [String] = []
        repeat {
            let page = try await listPage(bucket: bucket, prefix: prefix, delimiter: "/", continuationToken: token, maxKeys: pageSize)
            listing.listCalls += 1
            listing.objects += page.objects
            folders += page.commonPrefixes
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        for folder in folders where only == nil || folder == only {
            let name = folder.dropFirst(prefix.count).dropLast()
            guard let next = Self.datedLevel(String(name), after: dated) else {
                // Not (or no longer) a dated folder: everything under it is listed.
                if depth + 1 >= Self.undatedDepth {
                    try await listFlat(bucket, prefix: folder, pageSize: pageSize, into: &listing)
                } else {
                    try await walk(bucket, prefix: folder, dated: [], window: window, pageSize: pageSize, depth: depth + 1, into: &listing)
                }
                continue
            }
            let (start, end) = Self.span(next)
            guard window.overlaps(start: start, end: end) else {
                listing.prunedFolders += 1
                continue
            }
            if next.count == 4 {
                listing.keptHours += 1
                try await listFlat(bucket, prefix: folder, pageSize: pageSize, into: &listing)
            } else {
                try await walk(bucket, prefix: folder, dated: next, window: window, pageSize: pageSize, into: &listing)
            }
        }
    }

    /// `dated` extended by `name` when `name` is the next level of `YYYY/MM/DD/HH` (a valid year, month,
    /// day of that month, or hour); nil otherwise.
    static func datedLevel(_ name: String, after dated: [Int]) -> [Int]? {
        let width = dated.isEmpty ? 4 : 2
        guard name.utf8.count == width, name.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(name) else { return nil }
        switch dated.count {
        case 0: guard (1970...2999).contains(value) else { return nil }
        case 1: guard (1...12).contains(value) else { return nil }
        case 2: guard value >= 1, value <= UTCTime.daysIn(month: dated[1], year: dated[0]) else { return nil }
        case 3: guard (0...23).contains(value) else { return nil }
        default: return nil
        }
        return dated + [value]
    }

    /// The time a dated folder covers, [start, end) in epoch milliseconds.
    static func span(_ dated: [Int]) -> (Int64, Int64) {
        let year = dated[0], month = dated.count > 1 ? dated[1] : 1, day = dated.count > 2 ? dated[2] : 1
        let hour = dated.count > 3 ? dated[3] : 0
        let start = UTCTime.millis(year: year, month: month, day: day, hour: hour) ?? 0
        let end: Int64
        switch dated.count {
        case 1: end = UTCTime.millis(year: year + 1, month: 1, day: 1) ?? start
        case 2: end = month == 12 ? (UTCTime.millis(year: year + 1, month: 1, day: 1) ?? start)
                                  : (UTCTime.millis(year: year, month: month + 1, day: 1) ?? start)
        case 3: end = start + 86_400_000
        default: end = start + 3_600_000
        }
        return (start, end)
    }
}
