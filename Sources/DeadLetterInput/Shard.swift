import DeadLetterBytes
import DeadLetterSupport

/// One of N shares of the input units (`--shard I/N`), for running deadletter as the map step of a batch
/// engine (AWS Batch array jobs, Kubernetes Indexed Jobs, GNU parallel, xargs -P) with `merge` as the reduce.
///
/// The N shards of one listing read every unit exactly once, each a similar share of the bytes: units are
/// dealt largest first to the shard with the fewest bytes so far (ties to the lower shard; equal sizes in
/// name order), which is deterministic for a given listing and N. Each shard reads its units in listing
/// order. The split depends on the listing: shards of an S3 prefix that is still being written to should
/// share a `--until`, so that they list the same objects.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// From 0 to count - 1, as written on the command line and as AWS Batch and Kubernetes number their tasks.
    public let index: Int
    public let count: Int

    public static let maxCount = 100_000

    public init(index: Int, count: Int) throws(UsageError) {
        guard count >= 1, count <= Self.maxCount else {
            throw UsageError("--shard: the shard count must be between 1 and \(Self.maxCount), not \(count)")
        }
        guard index >= 0, index < count else {
            throw UsageError("--shard \(index)/\(count): shards are numbered from 0 to \(count - 1)")
        }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    /// `shard-03-of-16`: in the names of a shard's backfill files, so the outputs of all shards can be
    /// copied into one place without two files sharing a name; the index is padded to sort in order.
    public var tag: String {
        let width = String(count).count, digits = String(index)
        return "shard-" + String(repeating: "0", count: max(0, width - digits.count)) + digits + "-of-\(count)"
    }

    /// Where each engine says which task this is: the variable, and what its first task is numbered
    /// (GNU parallel's job sequence number starts at 1).
    public static let indexVariables: [(name: String, first: Int)] = [
        ("AWS_BATCH_JOB_ARRAY_INDEX", 0), ("JOB_COMPLETION_INDEX", 0), ("PARALLEL_SEQ", 1),
    ]
    /// Where the shard count may be found when `auto` does not give it.
    public static let countVariables = ["AWS_BATCH_JOB_ARRAY_SIZE", "DEADLETTER_SHARD_COUNT"]

    /// `I/N`, or `auto` / `auto/N`: the index from the engine's environment (`AWS_BATCH_JOB_ARRAY_INDEX`,
    /// `JOB_COMPLETION_INDEX` and `PARALLEL_SEQ`, the first set), the count from N or the environment.
    public static func parse(_ text: String, environment: [String: String]) throws(UsageError) -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2, let first = parts.first, !first.isEmpty else { throw Self.malformed(text) }
        let givenCount: Int?
        if parts.count == 2 {
            guard let n = Int(parts[1]) else { throw Self.malformed(text) }
            givenCount = n
        } else {
            givenCount = nil
        }
        guard first == "auto" else {
            guard let index = Int(first), let count = givenCount else { throw Self.malformed(text) }
            return try Shard(index: index, count: count)
        }
        guard let (name, first) = indexVariables.first(where: { environment[$0.name] != nil }) else {
            throw UsageError("--shard auto: none of \(indexVariables.map(\.name).joined(separator: ", ")) is set; give --shard I/N")
        }
        let value = environment[name]!
        guard let raw = Int(value), raw >= first else {
            throw UsageError("--shard auto: \(name) is '\(TerminalText.escape(value))', not a task number (from \(first))")
        }
        let countSource = countVariables.first { environment[$0] != nil }
        guard let count = givenCount ?? countSource.flatMap({ Int(environment[$0]!) }) else {
            throw UsageError("--shard auto: the shard count is not known; give it as --shard auto/N (or set DEADLETTER_SHARD_COUNT)")
        }
        return try Shard(index: raw - first, count: count)
    }

    private static func malformed(_ text: String) -> UsageError {
        UsageError("--shard '\(TerminalText.escape(text))': expected I/N (I from 0 to N-1), auto or auto/N")
    }

    /// The shard each unit goes to, for every unit of `units`.
    public static func assignment(_ units: [InputUnit], count: Int) -> [Int] {
        let order = units.indices.sorted { a, b in
            let sa = units[a].size ?? 0, sb = units[b].size ?? 0
            if sa != sb { return sa > sb }
            if units[a].name != units[b].name { return units[a].name < units[b].name }
            return a < b
        }
        // The least loaded shard, found in a heap keyed by (bytes, shard).
        var heap = (0..<count).map { (bytes: Int64(0), shard: $0) }
        func less(_ x: (bytes: Int64, shard: Int), _ y: (bytes: Int64, shard: Int)) -> Bool {
            x.bytes != y.bytes ? x.bytes < y.bytes : x.shard < y.shard
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && less(heap[l], heap[smallest]) { smallest = l }
                if r < heap.count && less(heap[r], heap[smallest]) { smallest = r }
                if smallest == i { return }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        var shardOf = [Int](repeating: 0, count: units.count)
        for u in order {
            shardOf[u] = heap[0].shard
            heap[0].bytes += max(units[u].size ?? 0, 1)
            siftDown(0)
        }
        return shardOf
    }
}

/// What a shard's output says of the shard, so that `merge` can tell the shards of one listing apart from
/// another's, refuse a shard given twice and name the ones missing.
public struct ShardMark: Sendable, Equatable {
    public var shard: Shard
    /// A fingerprint of the whole listing (every unit's name and size, in order): shards that listed
    /// different units (objects written between their runs) do not share it.
    public var listing: String
    /// This shard's units and their listed bytes.
    public var units: Int
    public var bytes: Int64
    /// Each of this shard's units by name, with its place in the whole listing: merged malformed samples
    /// come out in the order one run over everything gives.
    public var positions: [UnitName: Int]

    /// A unit's name by its bytes: names equal as Swift strings (composed and decomposed accents) are
    /// still different objects or files.
    public struct UnitName: Hashable, Sendable {
        public var bytes: [UInt8]
        public init(_ name: String) { bytes = Array(name.utf8) }
    }

    public func position(of name: String) -> Int? { positions[UnitName(name)] }

    public init(shard: Shard, listing: String, units: Int, bytes: Int64, positions: [UnitName: Int]) {
        self.shard = shard
        self.listing = listing
        self.units = units
        self.bytes = bytes
        self.positions = positions
    }

    /// What `fingerprint` makes: 16 lowercase hexadecimal digits. Read back from a file anyone can edit.
    static func isFingerprint(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// FNV-1a (64 bits) over each unit's name, a 0 byte, its size and a 0 byte: not a defence against
    /// anyone, only a check that N processes listed the same thing, so a small hash written here does.
    static func fingerprint(_ units: [InputUnit]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        for unit in units {
            for byte in unit.name.utf8 { mix(byte) }
            mix(0)
            for byte in String(unit.size ?? -1).utf8 { mix(byte) }
            mix(0)
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// The `shard` member of a summary or a backfill manifest, as read back by `merge`.
public struct ShardRecord: Decodable, Sendable {
    public var index: Int
    public var count: Int
    public var listing: String

    /// What is wrong with it, as the field and the reason, or nil. The file is anyone's to edit, so the
    /// bounds are the flag's and the listing must be a fingerprint.
    public var problem: (field: String, reason: String)? {
        guard count >= 1, count <= Shard.maxCount, index >= 0, index < count else {
            return ("shard", "\(index)/\(count) is not a shard (0 ≤ index < count ≤ \(Shard.maxCount))")
        }
        guard ShardMark.isFingerprint(listing) else { return ("shard.listing", "not a listing fingerprint (16 hexadecimal digits)") }
        return nil
    }
}

extension InputListing {
    /// This shard's units, in listing order. Notes stay with shard 0; problems (arguments that named
    /// nothing readable) go to every shard and are counted by shard 0 only, so that the shards' summaries
    /// merge into one run's.
    public func only(_ shard: Shard) -> InputListing {
        var kept = InputListing()
        let shardOf = Shard.assignment(units, count: shard.count)
        var positions: [ShardMark.UnitName: Int] = [:]
        var bytes: Int64 = 0
        for (position, unit) in units.enumerated() {
            guard shardOf[position] == shard.index else {
                unit.origin.leftToAnotherShard()
                continue
            }
            kept.units.append(unit)
            positions[ShardMark.UnitName(unit.name)] = position
            bytes += unit.size ?? 0
        }
        // Every shard reports what could not be listed and fails for it (a listing error in one shard alone,
        // a throttled page, makes that shard's split differ, and its engine must retry it); shard 0 counts it.
        kept.problems = shard.index == 0 ? problems : problems.filter { !$0.isNote }.map { problem in
            var problem = problem
            problem.counted = false
            return problem
        }
        kept.shard = ShardMark(shard: shard, listing: ShardMark.fingerprint(units), units: kept.units.count, bytes: bytes,
                               positions: positions)
        return kept
    }
}
