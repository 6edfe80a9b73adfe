import DeadLetterAWS
import DeadLetterBytes
import Foundation

/// Splunk HTTP Event Collector: the events go in one request to `/services/collector/event` with the token.
/// `{"code": 0}` is success; busy (code 9, 503) and 5xx are retried; token and format errors are dead
/// letters. When HEC names the first bad event (`invalid-event-number` N), the events before it were taken
/// (HEC reads a request in order), N is a dead letter and those after it are sent again; with acknowledgement
/// on, the events before it have no ack and are sent again as possibly duplicated.
///
/// With indexer acknowledgement (`ack`), a request carries a channel and its events count as delivered only
/// once `/services/collector/ack` says their `ackId` is indexed; an ack that does not come within
/// `ackTimeout` leaves them to be sent again as possibly duplicated (they may yet be indexed), which is what
/// Firehose does with `Splunk.AckTimeout`.
struct SplunkHECSend: SendTarget {
    let service: WebService
    /// The indexer-acknowledgement channel (a GUID), or nil without `--ack`.
    let channel: String?
    var ackTimeout: Double = 180
    /// The first wait between ack polls, doubled up to `maxPollDelay`.
    var pollDelay: Double = 0.2
    var maxPollDelay: Double = 2

    var name: String { "splunk-hec" }
    var identity: String { "Splunk HEC \(service.identity)" + (channel.map { ", indexer acknowledgement on channel \($0)" } ?? "") }

    /// The event endpoint under the URL given (`https://host:8088` means `/services/collector/event`).
    var eventPath: String { service.url.path == "/" || service.url.path.isEmpty ? "/services/collector/event" : service.url.path }

    private var channelHeader: [(name: String, value: String)] { channel.map { [("X-Splunk-Request-Channel", $0)] } ?? [] }

    func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
        let answer: WebService.Answer
        do {
            answer = try await service.post(path: eventPath, headers: [("Content-Type", "application/json")] + channelHeader,
                                            body: items.flatMap { $0 })
        } catch {
            return .all(items.count, .lost(error))
        }
        let json = JSONValue.parse(answer.body)
        let code = json?["code"]?.int
        let text = json?["text"]?.string ?? "HTTP \(answer.status)"
        if answer.status == 200 && code == 0 {
            guard channel != nil, let ackId = json?["ackId"]?.int else { return .all(items.count, .delivered) }
            return .all(items.count, await acknowledged(ackId))
        }
        if answer.status == 200 {
            return .all(items.count, .retry(code: "MalformedAnswer", message: "HEC answered 200 without code 0: \(text)"))
        }
        let name = code.map { "HEC\($0)" } ?? "HTTP\(answer.status)"
        if answer.status == 503 || answer.status >= 500 || code == 9 || answer.status == 429 {
            return .all(items.count, .retry(code: name, message: text))
        }
        if let bad = json?["invalid-event-number"]?.int, (0..<items.count).contains(bad) {
            // With acknowledgement on, only an ack says "indexed", and this answer carries none: the events
            // before the bad one are sent again, counted as possibly duplicated.
            let before: ItemOutcome = channel == nil ? .delivered
                : .retry(code: "Unacknowledged", message: "HEC read it before an invalid event but gave no acknowledgement")
            return (0..<items.count).map { i in
                i < bad ? before : i == bad ? .reject(code: name, message: "\(text) (HTTP \(answer.status))")
                    : .retry(code: "NotIndexed", message: "an earlier event of its request was refused: \(text)")
            }
        }
        return .all(items.count, .reject(code: name, message: "\(text) (HTTP \(answer.status))"))
    }

    /// Polls the ack endpoint until `ackId` is indexed, or gives up after `ackTimeout`.
    private func acknowledged(_ ackId: Int) async -> ItemOutcome {
        let started = Clocks.monotonicSeconds()
        var delay = pollDelay
        var lastProblem = "not acknowledged"
        while true {
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            do {
                let answer = try await service.post(path: "/services/collector/ack", query: channel.map { "channel=\($0)" },
                                                    headers: [("Content-Type", "application/json")] + channelHeader,
                                                    body: Array("{\"acks\":[\(ackId)]}".utf8))
                let json = JSONValue.parse(answer.body)
                if answer.status == 200, let acks = json?["acks"] {
                    if acks["\(ackId)"]?.bool == true { return .delivered }
                    lastProblem = "ackId \(ackId) not indexed yet"
                } else {
                    lastProblem = "ack poll answered HTTP \(answer.status): \(json?["text"]?.string ?? "")"
                }
            } catch {
                lastProblem = "ack poll: \(error.message)"
            }
            if Clocks.monotonicSeconds() - started + delay > ackTimeout {
                return .retry(code: "AckTimeout", message: "no indexer acknowledgement within \(Int(ackTimeout)) s (\(lastProblem)); the events may have been indexed")
            }
            delay = min(delay * 2, maxPollDelay)
        }
    }

}
