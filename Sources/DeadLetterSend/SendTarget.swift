/// What a service said about one item of a call.
public enum ItemOutcome: Sendable, Equatable {
    case delivered
    /// Throttling, a server fault, a timeout: worth another try.
    case retry(code: String, message: String)
    /// Retrying cannot fix it (a malformed item, a missing stream, access denied): a dead letter.
    case reject(code: String, message: String)

    /// The service may have taken the item although the answer says nothing of it (the connection broke
    /// after the call went out, or the answer could not be read): sending it again may duplicate it.
    public var mayHaveArrived: Bool {
        guard case .retry(let code, _) = self else { return false }
        return code == "Transport" || code == "MalformedAnswer"
    }

    public var code: String? {
        switch self {
        case .delivered: return nil
        case .retry(let code, _), .reject(let code, _): return code
        }
    }
}

/// A service `send` delivers to: one file per target under Targets/. A target turns the items of one
/// backfill file (each a line of it, as written by `backfill`) into one call and reads the answer item by
/// item. Whole-call failures become one outcome per item, so the engine sees only items.
public protocol SendTarget: Sendable {
    /// The backfill target name (`firehose`, `eventbridge`).
    var name: String { get }
    /// Where the items go, as shown before anything is sent; never a secret.
    var identity: String { get }
    /// Sends `items` (each the item's JSON text from the file) in one call; one outcome per item, in order.
    func send(_ items: [[UInt8]]) async -> [ItemOutcome]
}

extension SendTarget {
    /// The same outcome for every item of a call that failed as a whole.
    static func all(_ count: Int, _ outcome: ItemOutcome) -> [ItemOutcome] {
        Array(repeating: outcome, count: count)
    }
}

/// How a whole-call answer of an AWS JSON API is read: throttling and server faults are retried, other
/// errors are the items' dead letters. Its `__type` (`prefix#Code`) and `message` name the reason.
enum AWSJSONError {
    static func outcome(status: Int, body: [UInt8], retryable: Set<String>) -> ItemOutcome {
        let json = JSONValue.parse(body)
        var code = json?["__type"]?.string ?? "HTTP\(status)"
        if let hash = code.lastIndex(of: "#") { code = String(code[code.index(after: hash)...]) }
        let message = json?["message"]?.string ?? json?["Message"]?.string ?? "HTTP \(status)"
        if status >= 500 || status == 429 || retryable.contains(code) { return .retry(code: code, message: message) }
        return .reject(code: code, message: message)
    }
}
