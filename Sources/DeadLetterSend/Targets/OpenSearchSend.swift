import DeadLetterAWS
import DeadLetterBytes

/// OpenSearch `_bulk`: each item is an action line and its document. An `index` action with a known `_id` is
/// sent as `create`, so a replay (after a lost answer or a kill) answers 409 for a document already there
/// instead of writing it again: a 409 to `create` counts as delivered when an earlier call of the item may
/// have been taken, and is a dead letter (`AlreadyExists`, the document there is left alone) when not. The answer's `items` are read one by
/// one whatever `errors` says: 429 (`es_rejected_execution_exception`) and 5xx are retried, other statuses
/// (mapping errors, 400s) are dead letters with the cluster's reason.
struct OpenSearchSend: SendTarget {
    let service: WebService

    var name: String { "opensearch" }
    var identity: String { "OpenSearch _bulk at \(service.identity)" }

    /// `_bulk` under the URL given: `https://host` and `https://host/_bulk` both mean `https://host/_bulk`.
    static func bulkPath(_ path: String) -> String {
        if path.hasSuffix("/_bulk") { return path }
        return (path.hasSuffix("/") ? String(path.dropLast()) : path) + "/_bulk"
    }

    private static let indexAction = Array("{\"index\":{".utf8)
    private static let createAction = Array("{\"create\":{".utf8)

    /// The item with `index` turned into `create` when the action names an `_id`; whether it did.
    static func creating(_ item: [UInt8]) -> (bytes: [UInt8], create: Bool) {
        if item.starts(with: createAction) { return (item, true) }
        guard item.starts(with: indexAction), let lineEnd = item.firstIndex(of: UInt8(ascii: "\n")),
              item[..<lineEnd].firstRange(of: Array("\"_id\":".utf8)) != nil else { return (item, false) }
        return (createAction + item[indexAction.count...], true)
    }

    func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
        let converted = items.map(Self.creating)
        var body: [UInt8] = []
        body.reserveCapacity(items.reduce(0) { $0 + $1.count } + items.count * 3)
        for item in converted { body += item.bytes }
        let answer: WebService.Answer
        do {
            answer = try await service.post(path: Self.bulkPath(service.url.path), headers: [("Content-Type", "application/x-ndjson")], body: body)
        } catch {
            return .all(items.count, .lost(error))
        }
        let json = JSONValue.parse(answer.body)
        guard answer.status == 200 else {
            let error = json?["error"]
            let code = error?["type"]?.string ?? error?.string ?? "HTTP\(answer.status)"
            let message = error?["reason"]?.string ?? json?["message"]?.string ?? json?["Message"]?.string ?? "HTTP \(answer.status)"
            let outcome: ItemOutcome = answer.status == 429 || answer.status >= 500
                ? .retry(code: code, message: message) : .reject(code: code, message: "HTTP \(answer.status): \(message)")
            return .all(items.count, outcome)
        }
        guard let list = json?["items"]?.array, list.count == items.count else {
            return .all(items.count, .retry(code: "MalformedAnswer", message: "the _bulk answer did not list one result per item"))
        }
        return zip(list, converted).map { entry, item in
            guard let result = entry["create"] ?? entry["index"], let status = result["status"]?.int else {
                return .retry(code: "MalformedAnswer", message: "a _bulk result without a status")
            }
            if (200..<300).contains(status) { return .delivered }
            // A document with this id is there already: ours from an earlier call, or not (the engine knows).
            if status == 409 && item.create {
                return .present(message: "a document with this _id is in the index (409 \(result["error"]?["type"]?.string ?? "conflict"))")
            }
            let code = result["error"]?["type"]?.string ?? "HTTP\(status)"
            let message = result["error"]?["reason"]?.string ?? "status \(status)"
            return status == 429 || status >= 500 ? .retry(code: code, message: message) : .reject(code: code, message: "status \(status): \(message)")
        }
    }
}
