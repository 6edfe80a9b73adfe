import DeadLetterAWS

/// What a service said about one item of a call.
public enum ItemOutcome: Sendable, Equatable {
    case delivered
    /// Throttling, a server fault, a timeout: worth another try.
    case retry(code: String, message: String)
    /// Retrying cannot fix it (a malformed item, a missing stream, access denied): a dead letter.
    case reject(code: String, message: String)
    /// The service holds an item with this id already (OpenSearch's 409 to `create`): delivered if an earlier
    /// call of this item may have been taken, else a dead letter (the engine knows which).
    case present(message: String)

    /// The service may have taken the item although the answer says nothing of it (the connection broke
    /// after the call went out, or the answer could not be read): sending it again may duplicate it.
    public var mayHaveArrived: Bool {
        guard case .retry(let code, _) = self else { return false }
        return Self.uncertainCodes.contains(code)
    }

    /// Retry codes after which the service may hold the item: a lost answer, an unreadable one, an indexer
    /// acknowledgement that did not come in time or could not be asked for.
    public static let uncertainCodes: Set<String> = ["Transport", "MalformedAnswer", "AckTimeout", "Unacknowledged"]

    /// The service asked us to slow down (`--rate` halves).
    public var isThrottling: Bool {
        guard case .retry(let code, _) = self else { return false }
        return Self.throttlingCodes.contains(code)
    }

    static let throttlingCodes: Set<String> = ["ThrottlingException", "ServiceUnavailableException", "SlowDown", "TooManyRequestsException",
                                               "HTTP429", "HTTP503", "HEC9", "es_rejected_execution_exception"]

    /// A call that got no answer: never sent (nothing arrived), or lost on the way (it may have arrived).
    static func lost(_ error: AWSError) -> ItemOutcome {
        .retry(code: error.code == "NotSent" ? "NotSent" : "Transport", message: error.message)
    }

    /// What the service said, for a dead letter.
    public var message: String {
        switch self {
        case .delivered: return ""
        case .present(let message), .retry(_, let message), .reject(_, let message): return message
        }
    }

    public var code: String? {
        switch self {
        case .delivered: return nil
        case .present: return "AlreadyExists"
        case .retry(let code, _), .reject(let code, _): return code
        }
    }
}

extension Array where Element == ItemOutcome {
    /// One outcome for every item of a call refused or lost whole.
    static func all(_ count: Int, _ outcome: ItemOutcome) -> [ItemOutcome] { Array(repeating: outcome, count: count) }
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

/// One call of an AWS JSON batch API (Firehose `PutRecordBatch`, EventBridge `PutEvents`), read item by item:
/// the items go into the request's list as they are, the answer lists one response per item in order (one
/// carrying `ErrorCode` failed), and its failure count must agree. A whole-call error (`__type` and
/// `message`) is the same outcome for every item: throttling and server faults are retried, other errors are
/// the items' dead letters. An answer that cannot be read leaves it unknown which items were taken: all are
/// retried, counted as possibly duplicated (a duplicate is better than a loss).
struct AWSJSONBatch: Sendable {
    let service: AWSJSONService
    /// `X-Amz-Target`.
    let operation: String
    /// The request body before the first item and after the last.
    let opening: [UInt8]
    let closing: [UInt8]
    /// The answer's per-item list and failure count: `RequestResponses`/`FailedPutCount`, `Entries`/`FailedEntryCount`.
    let responses: String
    let failedCount: String
    /// Whether an answer without the failure count is unreadable (Firehose) or means none failed (EventBridge).
    let countRequired: Bool
    let retryable: Set<String>

    func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
        var body = opening
        for (i, item) in items.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body += item
        }
        body += closing
        let answer: AWSJSONService.Answer
        do { answer = try await service.call(operation, body: body) } catch {
            return .all(items.count, .lost(error))
        }
        guard answer.status == 200 else { return .all(items.count, wholeCall(answer)) }
        let parsed = JSONValue.parse(answer.body)
        let count = parsed?[failedCount]?.int ?? (countRequired ? nil : 0)
        guard let list = parsed?[responses]?.array, list.count == items.count,
              count == list.filter({ $0["ErrorCode"]?.string != nil }).count else {
            return .all(items.count, .retry(code: "MalformedAnswer", message: "the answer did not list one response per item"))
        }
        return list.map { response in
            guard let code = response["ErrorCode"]?.string else { return .delivered }
            let message = response["ErrorMessage"]?.string ?? code
            return retryable.contains(code) ? .retry(code: code, message: message) : .reject(code: code, message: message)
        }
    }

    private func wholeCall(_ answer: AWSJSONService.Answer) -> ItemOutcome {
        let type = AWSJSONService.errorCode(answer.body)
        let code = type.isEmpty ? "HTTP\(answer.status)" : type
        let json = JSONValue.parse(answer.body)
        let message = json?["message"]?.string ?? json?["Message"]?.string ?? "HTTP \(answer.status)"
        if answer.status >= 500 || answer.status == 429 || retryable.contains(code) { return .retry(code: code, message: message) }
        return .reject(code: code, message: message)
    }
}
