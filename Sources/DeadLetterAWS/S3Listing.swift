import DeadLetterInput
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
                let (start, end) = DatedFolder.span(seed)
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
        return DatedFolder.suffix(prefix.dropLast().split(separator: "/", omittingEmptySubsequences: false).map(String.init))
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
            guard let next = DatedFolder.level(String(name), after: dated) else {
                // Not (or no longer) a dated folder: everything under it is listed.
                if depth + 1 >= Self.undatedDepth {
                    try await listFlat(bucket, prefix: folder, pageSize: pageSize, into: &listing)
                } else {
                    try await walk(bucket, prefix: folder, dated: [], window: window, pageSize: pageSize, depth: depth + 1, into: &listing)
                }
                continue
            }
            let (start, end) = DatedFolder.span(next)
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
}
