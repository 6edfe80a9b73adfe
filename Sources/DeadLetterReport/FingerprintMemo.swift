import DeadLetterRecords

/// Remembers which fingerprint number a raw error message got, so that a message met again is looked up
/// rather than fingerprinted again. Worth it only where messages repeat (Lambda's, Splunk's, a schema's
/// complaints); where they carry ids (OpenSearch's reasons, an endpoint's request ids) nearly every lookup
/// misses and costs a hash of the whole message on top of the fingerprint.
///
/// So it decides per kind of failure, from the recent hit rate: counts halve every `window` lookups, a kind
/// looks up while at least one lookup in `worthIt` hits, and a kind that stopped looking up still looks up
/// one message in `probeEvery`, so that a kind whose messages start repeating is noticed. At `capacity` the
/// memo starts again empty. (A single
/// decision for all kinds, taken on the first few thousand records, once turned the memo off for a whole
/// corpus because its first files were OpenSearch's.)
struct FingerprintMemo: Sendable {
    static let capacity = 20_000
    static let window = 4_096
    static let worthIt = 3
    static let probeEvery = 32

    private struct Rate: Sendable {
        var lookups = 0
        var hits = 0
        var skipped = 0
    }

    private var numbers: [String: Int32] = [:]
    /// Looked at before `numbers`: the few messages that come again and again are found without hashing.
    private var recent = RecentTexts()
    private var rates = [Rate](repeating: Rate(), count: FailureKind.allCases.count)

    enum Answer: Equatable {
        case known(Int32)
        /// Not remembered: the caller fingerprints it, and tells `remember` when `worthRemembering`.
        case unknown(worthRemembering: Bool)
    }

    mutating func lookUp(_ message: String, kind: FailureKind) -> Answer {
        let k = kind.ordinal
        if rates[k].lookups >= Self.window / 4 && rates[k].hits * Self.worthIt < rates[k].lookups {
            rates[k].skipped += 1
            guard rates[k].skipped % Self.probeEvery == 0 else { return .unknown(worthRemembering: false) }
        }
        rates[k].lookups += 1
        if rates[k].lookups == Self.window {
            rates[k].lookups /= 2
            rates[k].hits /= 2
        }
        // `??` groups to the right: the cache's answer is flattened first, then the dictionary asked.
        guard let known = (message.utf8.withContiguousStorageIfAvailable({ recent.number(of: $0) }) ?? nil) ?? numbers[message] else {
            return .unknown(worthRemembering: true)
        }
        rates[k].hits += 1
        return .known(known)
    }

    mutating func remember(_ message: String, as number: Int32) {
        // Full: forgotten all at once, rather than kept full of messages with ids while the ones that
        // repeat find no room.
        if numbers.count == Self.capacity { numbers.removeAll(keepingCapacity: true) }
        numbers[message] = number
        recent.remember(Array(message.utf8), as: number)
    }

    /// How many lookups were made and hit so far, by kind (for tests).
    func rate(of kind: FailureKind) -> (lookups: Int, hits: Int) {
        (rates[kind.ordinal].lookups, rates[kind.ordinal].hits)
    }
}
