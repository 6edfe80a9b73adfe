import Foundation
import Testing
@testable import DeadLetterSend
@testable import DeadLetterBackfill
@testable import DeadLetterAWS

/// `send` against scripts/stubs/send-stub.py on 127.0.0.1, which fails chosen items on chosen attempts,
/// throttles and faults whole calls, cuts answers after processing them and answers slowly. The stub counts
/// what it took per item (by the SHA-256 of its payload), so "each item exactly once, or in send-failed/
/// with its reason" is checked from the receiving side.
@Suite struct SendFaultTests {
    struct Setup {
        let root: URL
        let batches: URL
        let stub: LocalServer
        var env: [String: String] {
            ["AWS_ACCESS_KEY_ID": "AKIDFAULT", "AWS_SECRET_ACCESS_KEY": "fault-secret-never-shown", "AWS_SESSION_TOKEN": "fault-token-never-shown",
             "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": stub.url]
        }

        func stats() throws -> [String: Any] { try stub.stats() }

        func send(_ extra: [String] = [], dir: URL? = nil) throws -> CLI.Result {
            try CLI.run(["send", (dir ?? batches).path, "--format", "json", "--verbose"] + extra, environment: env)
        }
    }

    /// A firehose backfill of a generated corpus (every payload its own), served by the stub with `faults`.
    static func setup(records: Int = 3000, maxRecords: Int = 400, faults: [[String: Any]], extra: [String] = []) throws -> Setup {
        let root = try CLI.temporaryDirectory()
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", root.path, "--records", String(records),
                                                                "--seed", "23", "--fresh-payloads"])
        #expect(status == 0, "\(output)")
        let batches = root.appendingPathComponent("batches")
        let backfill = try CLI.run(["backfill", root.appendingPathComponent("corpus").path, "--target", "firehose", "--stream", "orders",
                                    "--max-records", String(maxRecords), "--out", batches.path, "-q"])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        let rules = root.appendingPathComponent("faults.json")
        try JSONSerialization.data(withJSONObject: faults).write(to: rules)
        let stub = try LocalServer(["python3", "scripts/stubs/send-stub.py", "--stream", "orders", "--faults", rules.path, "--seed", "5"] + extra)
        return Setup(root: root, batches: batches, stub: stub)
    }

    /// How many items of each payload (SHA-256 of the decoded Data, as the stub counts them) a directory's
    /// files hold; worked out here from the files with Foundation's base64.
    static func payloads(_ dir: URL) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for file in try BackfillDirectory.read(dir.path).files {
            for item in try file.items() {
                let object = try JSONSerialization.jsonObject(with: Data(item)) as? [String: Any]
                let data = Data(base64Encoded: object?["Data"] as? String ?? "") ?? Data()
                counts[Array(data).withUnsafeBufferPointer { Digest.sha256Hex($0) }, default: 0] += 1
            }
        }
        return counts
    }

    static func minus(_ a: [String: Int], _ b: [String: Int]) -> [String: Int] {
        var out = a
        for (k, v) in b { out[k, default: 0] -= v }
        return out.filter { $0.value != 0 }
    }

    static func written(_ dir: URL) throws -> Int {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("manifest.json"))) as? [String: Any]
        let totals = manifest?["totals"] as? [String: Any]
        return totals?["written"] as? Int ?? totals?["items"] as? Int ?? -1
    }

    @Test func failedItemsAloneAreRetriedAndThoseRetryingCannotFixAreDeadLetters() throws {
        let s = try Self.setup(faults: [
            ["item_error": "ServiceUnavailableException", "fraction": 0.1, "attempts": [1, 2]],
            ["item_error": "InvalidArgumentException", "message": "Record is malformed", "fraction": 0.01, "attempts": [1]],
            ["call_error": "ServiceUnavailableException", "first": 1],
            ["call_error": "InternalFailure", "calls": [4]],
        ])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let items = try Self.written(s.batches)
        let run = try s.send()
        #expect(run.status == 3, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try s.stats()
        let rejected = stats["rejected"] as? [[String: Any]] ?? []
        let permanent = rejected.filter { $0["code"] as? String == "InvalidArgumentException" }
        let retryable = rejected.filter { $0["code"] as? String == "ServiceUnavailableException" }
        #expect(!permanent.isEmpty && !retryable.isEmpty)
        // Every item taken exactly once, or a dead letter: what the stub took and what is in send-failed/
        // add up to the files' items, payload by payload.
        let all = try Self.payloads(s.batches)
        let accepted = stats["accepted"] as? [String: Int] ?? [:]
        let deadLetters = try Self.payloads(s.batches.appendingPathComponent("send-failed"))
        #expect(Self.minus(Self.minus(all, accepted), deadLetters).isEmpty)
        #expect(accepted.values.reduce(0, +) == totals["sent"] as? Int)
        #expect(totals["items"] as? Int == items)
        #expect(totals["failed"] as? Int == permanent.count)
        #expect((totals["sent"] as? Int ?? 0) + permanent.count == items)
        // Retries went to the failed items only: what reached the stub is each item once plus each retry.
        let log = stats["log"] as? [[String: Any]] ?? []
        let received = log.reduce(0) { $0 + ($1["items"] as? Int ?? 0) }
        let refusedWhole = log.filter { $0["status"] as? Int != 200 }.reduce(0) { $0 + ($1["items"] as? Int ?? 0) }
        #expect(totals["retried"] as? Int == retryable.count + refusedWhole)
        #expect(received == items + (totals["retried"] as? Int ?? -1))
        // The dead letters: a backfill directory of the same target, with the service's reason for each.
        let failed = s.batches.appendingPathComponent("send-failed")
        let rejects = try String(contentsOf: failed.appendingPathComponent("rejects.ndjson"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.count == permanent.count)
        #expect(rejects.allSatisfy { $0.contains("\"code\":\"InvalidArgumentException\"") && $0.contains("Record is malformed") })
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: failed.appendingPathComponent("manifest.json"))) as? [String: Any]
        #expect(manifest?["generation"] as? Int == 1 && manifest?["target"] as? String == "firehose")
        for secret in ["fault-secret-never-shown", "fault-token-never-shown"] {
            #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret))
            for file in ["send-journal.ndjson"] {
                #expect(!(try String(contentsOf: s.batches.appendingPathComponent(file), encoding: .utf8)).contains(secret))
            }
            #expect(!(try String(contentsOf: failed.appendingPathComponent("rejects.ndjson"), encoding: .utf8)).contains(secret))
        }

        // The dead letters sent later (the permanent rule fired on first attempts only): all taken.
        let later = try s.send(dir: failed)
        #expect(later.status == 0, "\(later.stderr)")
        #expect((try later.json()["totals"] as? [String: Any])?["sent"] as? Int == permanent.count)
        #expect(Self.minus(all, try s.stats()["accepted"] as? [String: Int] ?? [:]).isEmpty)

        // Running both again sends nothing twice: DIR still counts its dead letters (exit 3) but leaves the
        // sent send-failed/ and its journal alone, and send-failed/ knows it delivered them.
        let acceptedBefore = try s.stats()["accepted"] as? [String: Int] ?? [:]
        #expect(try s.send().status == 3)
        let laterAgain = try s.send(dir: failed)
        #expect(laterAgain.status == 0)
        #expect((try laterAgain.json()["totals"] as? [String: Any])?["alreadySent"] as? Int == permanent.count)
        #expect(try s.stats()["accepted"] as? [String: Int] ?? [:] == acceptedBefore)
    }

    /// An answer lost after the call went out, then the run killed before the retry got through: the next run
    /// still knows those items may have arrived.
    @Test func aLostAnswerIsRememberedAcrossAKill() throws {
        let s = try Self.setup(records: 450, maxRecords: 500, faults: [["cut_after_bytes": 30, "calls": [1]],
                                                                       ["call_error": "ServiceUnavailableException", "calls": [2]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let items = try Self.written(s.batches)
        let process = try CLI.start(["send", s.batches.path, "-q", "--concurrency", "1"], environment: s.env)
        // Killed once the journal holds the lost answer, before a retry could be taken.
        let journal = s.batches.appendingPathComponent("send-journal.ndjson").path
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline,
              (try? String(contentsOfFile: journal, encoding: .utf8))?.contains("\"uncertain\":[\"") != true {
            Thread.sleep(forTimeInterval: 0.002)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try s.stats()["acceptedItems"] as? Int == items)   // taken once, by the call whose answer was lost
        let rerun = try s.send()
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let totals = try rerun.json()["totals"] as? [String: Any] ?? [:]
        #expect(totals["possiblyDuplicated"] as? Int == items)
        let extra = Self.minus(try s.stats()["accepted"] as? [String: Int] ?? [:], try Self.payloads(s.batches))
        #expect(extra.values.allSatisfy { $0 > 0 } && extra.values.reduce(0, +) == items)
    }

    /// An answer cut after the stub took the call: the client cannot know, sends again, and says the items
    /// may be there twice; the stub's count agrees.
    @Test func anAnswerLostAfterTheCallWasTakenIsCountedAsPossiblyDuplicated() throws {
        let s = try Self.setup(records: 1200, faults: [["cut_after_bytes": 30, "calls": [2]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.send(["--concurrency", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try s.stats()
        let cutCall = (stats["log"] as? [[String: Any]] ?? []).first { ($0["cut"] as? Bool) == true || $0["cut"] is String || ($0["cut"] as? Int ?? 0) > 0 }
        let cutItems = cutCall?["items"] as? Int ?? -1
        #expect(cutItems > 0)
        let extra = Self.minus(stats["accepted"] as? [String: Int] ?? [:], try Self.payloads(s.batches))
        #expect(extra.values.allSatisfy { $0 > 0 })
        #expect(extra.values.reduce(0, +) == cutItems)
        #expect(totals["possiblyDuplicated"] as? Int == cutItems)
        #expect(run.stderr.contains("may have arrived twice"))
    }

    /// Slow answers past the read timeout: retried, nothing lost, the possible duplicates counted.
    @Test func slowAnswersTimeOutAndAreRetried() throws {
        let s = try Self.setup(records: 800, faults: [["delay_ms": 3000, "calls": [1]]])
        defer { try? FileManager.default.removeItem(at: s.root) }
        let run = try s.send(["--read-timeout", "1", "--concurrency", "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let totals = try run.json()["totals"] as? [String: Any] ?? [:]
        let stats = try s.stats()
        let extra = Self.minus(stats["accepted"] as? [String: Int] ?? [:], try Self.payloads(s.batches))
        #expect(extra.values.allSatisfy { $0 > 0 })   // nothing missing
        #expect(extra.values.reduce(0, +) == totals["possiblyDuplicated"] as? Int)
        #expect((totals["retried"] as? Int ?? 0) > 0)
    }
}

/// The backoff, in-process with seeded randomness: every wait is `random() × min(base × 2^(round-1), cap)`.
@Suite struct SendBackoffTests {
    struct FailingTarget: SendTarget {
        let failures: Int
        let seen = Seen()
        var name: String { "firehose" }
        var identity: String { "test" }
        func send(_ items: [[UInt8]]) async -> [ItemOutcome] {
            let round = seen.next()
            return items.map { _ in round <= failures ? .retry(code: "ThrottlingException", message: "slow down") : .delivered }
        }
    }

    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func next() -> Int { lock.withLock { n += 1; return n } }
    }

    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [String] = []
        func add(_ line: String) { lock.withLock { all.append(line) } }
        var lines: [String] { lock.withLock { all } }
    }

    @Test func waitsStayWithinTheJitterBoundsAndFollowTheSeed() async throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let item = Array(#"{"Data":"eA=="}"#.utf8)
        let directory = BackfillDirectory(path: root.path, target: "firehose", optionsJSON: "{}", stream: "s", eventBus: nil, generation: 0,
                                          files: [.init(name: "f.json", header: [], footer: [], items: [item, item])])
        let journalPath = root.appendingPathComponent("j.ndjson").path
        let (journal, state) = (try SendJournal.open(journalPath), SendJournal.read(journalPath))
        // A seeded generator: the same waits every run, worked out here from the same sequence.
        var generator = SeededRandom(seed: 42)
        let draws = (0..<6).map { _ in generator.next() }
        let sequence = Draws(draws)
        var options = SendOptions()
        options.baseDelay = 0.01
        options.maxDelay = 0.04
        options.maxAttempts = 10
        options.random = { sequence.next() }
        let lines = Lines()
        let engine = SendEngine(directory: directory, target: FailingTarget(failures: 5), journal: journal, earlier: state,
                                options: options, trace: { lines.add($0) })
        let result = try await engine.run()
        #expect(result.totals.sent == 2 && result.totals.retried == 10)
        let waits = lines.lines.compactMap { line -> Int? in
            guard let range = line.range(of: " items in ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(waits.count == 5)
        for (round, wait) in waits.enumerated() {
            let cap = min(0.01 * Double(1 << round), 0.04)
            #expect(Double(wait) <= cap * 1000)
            #expect(wait == Int(draws[round] * cap * 1000))
        }
    }

    struct SeededRandom {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    final class Draws: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Double]
        init(_ values: [Double]) { self.values = values }
        func next() -> Double { lock.withLock { values.isEmpty ? 0 : values.removeFirst() } }
    }
}

/// A long send outlives its temporary credentials: the expired call is made again with renewed ones.
@Suite struct SendCredentialExpiryTests {
    final class Scripted: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var answers: [(Int, String)]
        private(set) var tokens: [String?] = []
        init(_ answers: [(Int, String)]) { self.answers = answers }
        func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
            let (status, body): (Int, String) = lock.withLock {
                tokens.append(request.header("X-Amz-Security-Token"))
                return answers.removeFirst()
            }
            return HTTPResponse(status: status, body: .bytes(Array(body.utf8)))
        }
        var seen: [String?] { lock.withLock { tokens } }
    }

    struct Renewing: CredentialProvider {
        let renewals = SendBackoffTests.Seen()
        var source: String { "test" }
        func credentials() async throws(AWSError) -> AWSCredentials { AWSCredentials(accessKeyId: "A", secretAccessKey: "s", sessionToken: "old") }
        func renew(after rejected: AWSCredentials) async throws(AWSError) -> AWSCredentials {
            _ = renewals.next()
            return AWSCredentials(accessKeyId: "A", secretAccessKey: "s", sessionToken: "new")
        }
    }

    @Test func anExpiredTokenIsRenewedAndTheCallMadeAgain() async throws {
        let transport = Scripted([(400, #"{"__type":"com.amazon.coral.service#ExpiredTokenException","message":"The security token included in the request is expired"}"#),
                                  (200, #"{"FailedPutCount":0,"RequestResponses":[{"RecordId":"1"}]}"#)])
        let service = AWSJSONService(transport: transport, credentials: Renewing(), region: "us-east-1", service: "firehose",
                                     endpoint: HTTPURL(string: "http://127.0.0.1:9"), trace: .off, now: { 1_700_000_000_000 })
        let outcomes = await FirehoseSend(service: service, stream: "s").send([Array(#"{"Data":"eA=="}"#.utf8)])
        #expect(outcomes == [.delivered])
        #expect(transport.seen == ["old", "new"])
    }
}
