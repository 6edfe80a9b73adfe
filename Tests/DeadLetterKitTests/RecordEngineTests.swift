@testable import DeadLetterEngine
@testable import DeadLetterSupport
import Foundation
import Testing

/// Every command reads several inputs at once and must still produce exactly what one reader
/// would: the same records in the same order, repeats decided in input order, nothing lost when a consumer
/// stops, and no more than a bounded amount read ahead.
@Suite struct RecordEngineTests {
    static func firehoseLine(_ file: Int, _ n: Int) -> String {
        let payload = Data(#"{"file":\#(file),"n":\#(n)}"#.utf8).base64EncodedString()
        return #"{"attemptsMade":1,"arrivalTimestamp":1709650000000,"errorCode":"Lambda.FunctionError","errorMessage":"boom","rawData":"\#(payload)"}"#
    }

    static func sqsMessage(id: String) -> String {
        let body = #"{\"version\":\"0\",\"id\":\"e\",\"detail-type\":\"T\",\"source\":\"s\",\"time\":\"2024-03-05T00:00:00Z\",\"detail\":{}}"#
        return #"{"MessageId":"\#(id)","Body":"\#(body)","MessageAttributes":{"RULE_ARN":{"StringValue":"arn:aws:events:us-east-1:1:rule/r","DataType":"String"},"TARGET_ARN":{"StringValue":"arn:aws:lambda:us-east-1:1:function:f","DataType":"String"},"ERROR_CODE":{"StringValue":"SDK_CLIENT_ERROR","DataType":"String"},"ERROR_MESSAGE":{"StringValue":"m","DataType":"String"},"EXHAUSTED_RETRY_CONDITION":{"StringValue":"MaximumRetryAttemptsExhausted","DataType":"String"},"RETRY_ATTEMPTS":{"StringValue":"185","DataType":"String"}}}"#
    }

    /// 40 inputs of uneven sizes (one of 1,000 records, so it spans several chunks), a malformed line in
    /// input 5 and the same SQS message in inputs 10 and 30. Returns the folder and, worked out here, the
    /// events one reader gives: "record path:line", "malformed path:line", "repeated path:line".
    static func makeInputs() throws -> (URL, [String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-ordered-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var expected: [String] = []
        for i in 0..<40 {
            let path = dir.appendingPathComponent(String(format: "processing-failed-%02d", i)).path
            var lines: [String] = []
            let count = i == 17 ? 1000 : 1 + (i * 7) % 11
            for n in 0..<count {
                lines.append(firehoseLine(i, n))
                expected.append("record \(path):\(lines.count)")
            }
            if i == 5 {
                lines.append("this is not json")
                expected.append("malformed \(path):\(lines.count)")
            }
            if i == 10 || i == 30 {
                lines.append(sqsMessage(id: "same-message"))
                expected.append((i == 10 ? "record " : "repeated ") + "\(path):\(lines.count)")
            }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
            expected.append("finished \(path)")
        }
        return (dir, expected)
    }

    /// `pauseAt`: the consumer dawdles on this record, so the readers get ahead and chunks pile up.
    static func events(_ dir: URL, workers: Int, stopAfter: Int? = nil,
                       pauseAt: String? = nil) throws -> (events: [String], outcome: RunOutcome) {
        var options = InputOptions()
        options.paths = [dir.path]
        options.quiet = true
        options.progress = false
        let run = InputRun(options: options, diagnostics: Diagnostics(fd: -1))
        var events: [String] = []
        var records = 0
        let outcome = try run.run(workers: workers, prepare: { "\($0.file.path):\($0.line)" }) { event in
            switch event {
            case .record(let where_):
                events.append("record " + where_)
                if where_ == pauseAt { Thread.sleep(forTimeInterval: 0.2) }
                records += 1
                if let stopAfter, records >= stopAfter { return false }
            case .malformed(let m): events.append("malformed \(m.file):\(m.line)")
            case .repeated(let file, let line, _): events.append("repeated \(file):\(line)")
            case .conflict(let file, let line, _, _): events.append("conflict \(file):\(line)")
            case .payloadProblem(let file, let line, _): events.append("problem \(file):\(line)")
            case .finished(let stats): events.append("finished \(stats.path)")
            }
            return true
        }
        return (events, outcome)
    }

    /// Where two event lists part, in words; nil if they are equal (keeps a failure readable).
    static func firstDifference(_ got: [String], _ expected: [String]) -> String? {
        for i in 0..<max(got.count, expected.count) where i >= got.count || i >= expected.count || got[i] != expected[i] {
            return "event \(i): got \(i < got.count ? got[i] : "nothing"), expected \(i < expected.count ? expected[i] : "nothing")"
        }
        return nil
    }

    @Test func severalReadersGiveWhatOneReaderGives() throws {
        let (dir, expected) = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try Self.events(dir, workers: 1)
        #expect(Self.firstDifference(one.events, expected) == nil)
        let big = dir.appendingPathComponent("processing-failed-17").path
        for workers in [2, 4, 8] {
            let many = try Self.events(dir, workers: workers, pauseAt: "\(big):1")
            #expect(Self.firstDifference(many.events, expected) == nil, "\(workers) readers")
            #expect(many.outcome.malformed == 1)
            #expect(!many.outcome.stopped)
        }
    }

    @Test func aConsumerThatStopsStopsTheReaders() throws {
        let (dir, expected) = try Self.makeInputs()
        defer { try? FileManager.default.removeItem(at: dir) }
        let stopped = try Self.events(dir, workers: 4, stopAfter: 300)
        #expect(stopped.outcome.stopped)
        // Everything up to and including the 300th record, in order, and nothing after it.
        var seen = 0
        let prefix = expected.prefix { event in
            if seen >= 300 { return false }
            if event.hasPrefix("record ") { seen += 1 }
            return true
        }
        #expect(Self.firstDifference(stopped.events, Array(prefix)) == nil)
    }

    @Test func readingAheadWaitsAtTheLimit() throws {
        let chunks = OrderedChunks<Int>(limit: 2)
        let chunk: [PendingEvent<Int>] = [.record(1, messageId: nil, bodyDigest: nil, problems: [], missingAttributes: [], line: 1)]
        // The consumer is on input 0, input 1 is ahead: with one chunk of each buffered, the limit is reached
        // and input 1's next chunk waits.
        #expect(chunks.put(chunk, weight: 1, input: 0, done: false))
        #expect(chunks.put(chunk, weight: 1, input: 1, done: false))
        let ahead = DispatchSemaphore(value: 0)
        Thread { _ = chunks.put(chunk, weight: 1, input: 1, done: true); ahead.signal() }.start()
        #expect(ahead.wait(timeout: .now() + 0.3) == .timedOut)
        // The input the consumer is on does not wait for inputs ahead of it, even over the limit.
        #expect(chunks.put(chunk, weight: 1, input: 0, done: true))
        let first = chunks.take(input: 0)
        #expect(first.chunks.count == 2 && first.done)
        // Input 0 complete: input 1 is now the consumer's, with less than the limit of its own, so its chunk goes in.
        #expect(ahead.wait(timeout: .now() + 5) == .success)
        let second = chunks.take(input: 1)
        #expect(second.chunks.count == 2 && second.done)
    }

    /// A slow consumer (`records | slow`) must hold back the thread reading the input it is on too, or that
    /// whole input piles up in memory.
    @Test func theInputBeingConsumedWaitsAtTheLimitToo() throws {
        let chunks = OrderedChunks<Int>(limit: 3)
        let chunk: [PendingEvent<Int>] = [.record(1, messageId: nil, bodyDigest: nil, problems: [], missingAttributes: [], line: 1)]
        let allPut = DispatchSemaphore(value: 0)
        Thread {
            for i in 0..<10 { _ = chunks.put(chunk, weight: 1, input: 0, done: i == 9) }
            allPut.signal()
        }.start()
        // The consumer dawdles: three chunks go in, then the reader waits.
        #expect(allPut.wait(timeout: .now() + 0.3) == .timedOut)
        #expect(chunks.condition.withLock { chunks.buffered } == 3)
        // Each take makes room again; never more than the limit is waiting, and nothing is lost.
        var taken = 0
        var done = false
        while !done {
            let next = chunks.take(input: 0)
            #expect(next.chunks.count <= 3)
            taken += next.chunks.count
            done = next.done
        }
        #expect(taken == 10)
        #expect(allPut.wait(timeout: .now() + 5) == .success)
    }

    @Test func stoppingReleasesAReaderWaitingOnTheConsumersInput() throws {
        let chunks = OrderedChunks<Int>(limit: 1)
        let chunk: [PendingEvent<Int>] = [.record(1, messageId: nil, bodyDigest: nil, problems: [], missingAttributes: [], line: 1)]
        #expect(chunks.put(chunk, weight: 1, input: 0, done: false))
        let returned = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var accepted = true
        Thread {
            accepted = chunks.put(chunk, weight: 1, input: 0, done: true)
            returned.signal()
        }.start()
        #expect(returned.wait(timeout: .now() + 0.3) == .timedOut)
        chunks.stop()
        #expect(returned.wait(timeout: .now() + 5) == .success)
        #expect(!accepted)
    }
}
