import DeadLetterSupport
import Foundation

/// One message as `ReceiveMessage` answers it: its id and receipt handle, and the whole message object as
/// JSON (the form `aws sqs receive-message` prints, which the EventBridge dead-letter reader reads).
public struct SQSMessage: Sendable {
    public var messageId: String
    public var receiptHandle: String
    public var json: [UInt8]
    /// `SentTimestamp`, epoch milliseconds.
    public var sentTimestamp: Int64?
}

/// What a batch call (DeleteMessageBatch, ChangeMessageVisibilityBatch) said of one entry: nil for done, else
/// the reason.
public typealias SQSEntryResults = [String: AWSError?]

/// The SQS calls deadletter makes, over SQS's JSON protocol (AWS JSON 1.0): whole calls that fail with
/// throttling, a server fault or a lost connection are retried as the SDKs do (RetryPolicy); entries of a
/// batch are answered one by one and left to the caller. No SDK exists here, and these five calls are all
/// the tool needs.
public struct SQSClient: Sendable {
    public let service: AWSJSONService
    public let retry: RetryPolicy

    public init(service: AWSJSONService, retry: RetryPolicy) {
        self.service = service
        self.retry = retry
    }

    /// SQS as `sqs://` inputs and `redrive` reach it, with the run's retry policy.
    public static func open(options: AWSOptions, environment: AWSEnvironment, trace: AWSTrace) throws(AWSError) -> SQSClient {
        SQSClient(service: try .open(service: "sqs", jsonVersion: "1.0", connections: 8, options: options, environment: environment,
                                     trace: trace, user: "SQS"),
                  retry: RetryPolicy(maxAttempts: options.maxAttempts))
    }

    /// The queue's URL: the argument itself when it is one, else `GetQueueUrl` for the name.
    public func queueURL(_ queue: SQSQueueName) async throws(AWSError) -> String {
        if let url = queue.url { return url }
        let answer = try await call("GetQueueUrl", ["QueueName": queue.name])
        guard let url = answer["QueueUrl"] as? String else { throw AWSError(code: "MalformedAnswer", message: "GetQueueUrl: no QueueUrl") }
        return url
    }

    public func attributes(_ url: String) async throws(AWSError) -> [String: String] {
        let answer = try await call("GetQueueAttributes", ["QueueUrl": url, "AttributeNames": ["All"]])
        return answer["Attributes"] as? [String: String] ?? [:]
    }

    /// Up to 10 messages, hidden for `visibility` seconds; waits up to `wait` seconds for one (long polling
    /// asks every server, so an empty answer means none is visible).
    public func receive(_ url: String, max: Int = 10, visibility: Int, wait: Int) async throws(AWSError) -> [SQSMessage] {
        let answer = try await call("ReceiveMessage", [
            "QueueUrl": url, "MaxNumberOfMessages": max, "VisibilityTimeout": visibility, "WaitTimeSeconds": wait,
            "AttributeNames": ["All"], "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"],
        ])
        return (answer["Messages"] as? [[String: Any]] ?? []).compactMap { object -> SQSMessage? in
            guard let id = object["MessageId"] as? String, let handle = object["ReceiptHandle"] as? String,
                  let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return nil }
            let sent = (object["Attributes"] as? [String: Any])?["SentTimestamp"] as? String
            return SQSMessage(messageId: id, receiptHandle: handle, json: Array(data), sentTimestamp: sent.flatMap { Int64($0) })
        }
    }

    public func delete(_ url: String, _ entries: [(id: String, handle: String)]) async throws(AWSError) -> SQSEntryResults {
        try await batch("DeleteMessageBatch", url, entries.map { ["Id": $0.id, "ReceiptHandle": $0.handle] })
    }

    /// Sets the messages' visibility timeout; 0 makes them visible again at once.
    public func changeVisibility(_ url: String, _ entries: [(id: String, handle: String)], to seconds: Int) async throws(AWSError) -> SQSEntryResults {
        try await batch("ChangeMessageVisibilityBatch", url,
                        entries.map { ["Id": $0.id, "ReceiptHandle": $0.handle, "VisibilityTimeout": seconds] })
    }

    /// Batch entry ids must be short and plain: the position in the batch.
    private func batch(_ operation: String, _ url: String, _ entries: [[String: Any]]) async throws(AWSError) -> SQSEntryResults {
        var numbered: [[String: Any]] = []
        var ids: [String: String] = [:]
        for (i, entry) in entries.enumerated() {
            var copy = entry
            let original = copy["Id"] as? String ?? ""
            copy["Id"] = "e\(i)"
            ids["e\(i)"] = original
            numbered.append(copy)
        }
        let answer = try await call(operation, ["QueueUrl": url, "Entries": numbered])
        var results: SQSEntryResults = [:]
        for done in answer["Successful"] as? [[String: Any]] ?? [] {
            if let id = (done["Id"] as? String).flatMap({ ids[$0] }) { results[id] = .some(nil) }
        }
        for failed in answer["Failed"] as? [[String: Any]] ?? [] {
            guard let id = (failed["Id"] as? String).flatMap({ ids[$0] }) else { continue }
            results[id] = AWSError(code: failed["Code"] as? String ?? "Failed", message: failed["Message"] as? String ?? "failed")
        }
        // An entry the answer does not mention is not known to be done.
        for original in ids.values where results[original] == nil {
            results[original] = AWSError(code: "MalformedAnswer", message: "\(operation): the answer did not mention this entry")
        }
        return results
    }

    /// One call, retried while the failure is worth it. Throws the last error.
    func call(_ operation: String, _ body: [String: Any]) async throws(AWSError) -> [String: Any] {
        let bytes: [UInt8]
        do { bytes = Array(try JSONSerialization.data(withJSONObject: body)) } catch {
            throw AWSError(code: "InvalidRequest", message: "\(operation): \(error)")
        }
        var attempt = 1
        while true {
            let outcome: Result<AWSJSONService.Answer, AWSError>
            do throws(AWSError) { outcome = .success(try await service.call("AmazonSQS.\(operation)", body: bytes)) } catch { outcome = .failure(error) }
            let failure: AWSError
            switch outcome {
            case .success(let answer) where answer.status == 200:
                retry.recordSuccess()
                return (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
            case .success(let answer):
                let code = AWSJSONService.errorCode(answer.body)
                let json = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any]
                let message = json?["message"] as? String ?? json?["Message"] as? String ?? "HTTP \(answer.status)"
                failure = AWSError(code: code.isEmpty ? "HTTP\(answer.status)" : code, message: "\(operation): \(message)", status: answer.status)
                guard RetryPolicy.isRetryable(status: answer.status, code: code) else { throw failure }
            case .failure(let error):
                failure = error
            }
            guard attempt < retry.maxAttempts, retry.acquireRetry() else { throw failure }
            await sleep(seconds: retry.delay(beforeRetry: attempt))
            attempt += 1
        }
    }
}

/// A queue as an argument names it: `sqs://NAME` (its URL asked of SQS), or its URL.
public struct SQSQueueName: Sendable, Equatable {
    public var name: String
    public var url: String?

    /// `sqs://NAME`, `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` (or `queue.amazonaws.com`); nil otherwise.
    public init?(_ argument: String) {
        if argument.hasPrefix("sqs://") {
            let name = String(argument.dropFirst(6))
            guard !name.isEmpty, !name.contains("/") else { return nil }
            self.name = name
            return
        }
        guard Self.isQueueURL(argument), let last = argument.split(separator: "/").last else { return nil }
        name = String(last)
        url = argument
    }

    /// Whether an argument is an SQS queue URL, from its text alone.
    public static func isQueueURL(_ argument: String) -> Bool {
        guard let url = HTTPURL(string: argument), url.scheme == "https" else { return false }
        let host = url.host.lowercased()
        let sqsHost = (host.hasPrefix("sqs.") && (host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn")))
            || host == "queue.amazonaws.com"
        return sqsHost && url.path.split(separator: "/").count == 2
    }

    public var display: String { url ?? "sqs://\(name)" }
}
