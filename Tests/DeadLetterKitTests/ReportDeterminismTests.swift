import Foundation
import Testing
@testable import DeadLetterReport
import DeadLetterEngine
import DeadLetterRecords
import DeadLetterSupport

/// The page is a function of the input: the same bytes whichever reading thread met which file first, with
/// examples that are the first by file and line, and the reason most records were refused for. Also the
/// memo that spares `report` fingerprinting a message it has met before decides per kind of failure.
struct ReportDeterminismTests {
    /// OpenSearch failures spread over files in folders whose reading order is not their path order, with
    /// document ids that repeat across files, and payloads an OpenSearch backfill refuses for two reasons.
    struct Corpus {
        var dir: URL
        /// Every record's (path, line, document id), as written.
        var written: [(path: String, line: Int, id: String)] = []
        var textPayloads = 0
        var binaryPayloads = 0
    }

    static func makeCorpus(seed: UInt64) throws -> Corpus {
        let dir = try CLI.temporaryDirectory()
        var random = SplitMix(seed: seed)
        var corpus = Corpus(dir: dir)
        let ids = (0..<40).map { _ in String(random.next(), radix: 16) }
        for folder in ["b", "a", "c"] {
            let sub = dir.appendingPathComponent("AmazonOpenSearchService-failed/\(folder)")
            try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
            for file in 0..<4 {
                let url = sub.appendingPathComponent("part-\(9 - file).json")
                var lines: [String] = []
                for line in 1...Int(random.next() % 6 + 3) {
                    let id = ids[Int(random.next() % UInt64(ids.count))]
                    // Twice as many text payloads as binary ones: text is the reason given most often.
                    let binary = random.next() % 3 == 0
                    let payload = binary ? Data([0xFF, 0x00, 0x9C, 0x01]) : Data("plain text \(line)".utf8)
                    if binary { corpus.binaryPayloads += 1 } else { corpus.textPayloads += 1 }
                    lines.append("""
                        {"attemptsMade":1,"arrivalTimestamp":\(1_709_650_000_000 + Int(random.next() % 86_400_000)),"errorCode":"400",\
                        "errorMessage":"failed to parse document with id '\(id)'","esDocumentId":"\(id)","esIndexName":"logs",\
                        "rawData":"\(payload.base64EncodedString())"}
                        """)
                    corpus.written.append((url.path, line, id))
                }
                try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            }
        }
        return corpus
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func thePageIsTheSameWhateverTheNumberOfReaders(seed: UInt64) throws {
        let corpus = try Self.makeCorpus(seed: seed)
        defer { try? FileManager.default.removeItem(at: corpus.dir) }
        var pages: [Int: String] = [:]
        for workers in [1, 2, 3, 7] {
            var options = ReportOptions()
            options.input.paths = [corpus.dir.path]
            options.workers = workers
            pages[workers] = try ReportJob.render(options, diagnostics: Diagnostics.capturing())
        }
        let one = try #require(pages[1])
        for (workers, page) in pages { #expect(page == one, "seed \(seed): \(workers) readers made another page") }

        // The examples are the first five distinct document ids by file and line, worked out from what was written.
        var seen = Set<String>()
        let first = corpus.written.sorted { $0.path != $1.path ? $0.path < $1.path : $0.line < $1.line }
            .filter { seen.insert($0.id).inserted }.prefix(5).map(\.id)
        #expect(one.contains("<code>\(first.joined(separator: ", "))</code>"), "seed \(seed): expected examples \(first)")

        // Every refusal is not-json; the reason shown is the one most records got.
        let refused = corpus.textPayloads + corpus.binaryPayloads
        #expect(corpus.textPayloads > corpus.binaryPayloads && corpus.binaryPayloads > 0)
        #expect(one.contains("<code>not-json</code> \(refused): the payload is text, not one JSON object"), "seed \(seed)")
    }

    @Test func kindsOrdinalsAreTheirPlaces() {
        for (place, kind) in FailureKind.allCases.enumerated() { #expect(kind.ordinal == place, "\(kind)") }
        #expect(Set(FailureKind.allCases.map(\.hashValue)).count == FailureKind.allCases.count)
    }

    /// Messages with ids in one kind no longer stop the memo for the others (it once decided for all kinds
    /// on the first few thousand records); a kind that stopped looking up starts again when its messages repeat.
    @Test func theMemoDecidesPerKind() {
        var memo = FingerprintMemo()
        var next: Int32 = 0
        func number(_ message: String, _ kind: FailureKind) -> Int32 {
            switch memo.lookUp(message, kind: kind) {
            case .known(let known): return known
            case .unknown(let worth):
                next += 1
                if worth { memo.remember(message, as: next) }
                return next
            }
        }
        // OpenSearch first, every message new: past a quarter window it looks up one message in 32.
        for i in 0..<10_000 { _ = number("document with id '\(i)'", .openSearch) }
        let unique = memo.rate(of: .openSearch)
        #expect(unique.hits == 0)
        let quarter = FingerprintMemo.window / 4
        #expect(unique.lookups == quarter + (10_000 - quarter) / FingerprintMemo.probeEvery, "\(unique)")

        // Then Lambda's few messages: looked up, and nearly all found.
        let lambda = ["ProcessingFailed status set for record", "The Lambda function was successfully invoked but it returned an error result."]
        var numbers: [String: Set<Int32>] = [:]
        for i in 0..<10_000 {
            let message = lambda[i % 2]
            numbers[message, default: []].insert(number(message, .processingFailed))
        }
        #expect(numbers.values.allSatisfy { $0.count == 1 }, "a remembered message gets one number")
        let repeating = memo.rate(of: .processingFailed)
        #expect(repeating.hits * 100 > repeating.lookups * 99, "\(repeating)")

        // OpenSearch's messages start repeating: the probes find them and it looks up every message again.
        for _ in 0..<40_000 { _ = number("cluster is read-only", .openSearch) }
        let before = memo.rate(of: .openSearch)
        for _ in 0..<100 { _ = number("cluster is read-only", .openSearch) }
        let after = memo.rate(of: .openSearch)
        #expect(after.hits - before.hits == 100, "\(before) → \(after)")
    }

    /// More messages than the small cache has slots: those it lost are still found in the memo's dictionary.
    @Test func theMemoFindsWhatItsCacheLost() {
        var memo = FingerprintMemo()
        let messages = (0..<1_000).map { "Column 'c\($0)' is missing within the record." }
        for (i, message) in messages.enumerated() { memo.remember(message, as: Int32(i)) }
        let answers = messages.map { memo.lookUp($0, kind: .iceberg) }
        #expect(answers == messages.indices.map { .known(Int32($0)) })
    }

    @Test func theMemoForgetsWhenFullAndKeepsAnswering() {
        var memo = FingerprintMemo()
        for i in 0..<(FingerprintMemo.capacity + 10) { memo.remember("m\(i)", as: Int32(i)) }
        // The last ten were remembered after the reset; the first ones are forgotten.
        #expect(memo.lookUp("m\(FingerprintMemo.capacity + 9)", kind: .splunk) == .known(Int32(FingerprintMemo.capacity + 9)))
        #expect(memo.lookUp("m0", kind: .splunk) == .unknown(worthRemembering: true))
    }

    /// Texts of every short length (empty included), and texts alike in length, start and end, which share a
    /// slot: each is found as itself or not at all, never as another.
    @Test func recentTextsFindOnlyTheTextItself() {
        var recent = RecentTexts()
        var texts = (0...20).map { String(repeating: "x", count: $0) }
        texts += (0..<50).map { "ProcessingFailed \($0 % 10) status set for recor" + "d" }
        texts += (0..<50).map { "abcdefgh" + String(repeating: "-", count: 10) + "\($0 + 10)" + "ijklmnop" }
        for (i, text) in texts.enumerated() {
            let bytes = Array(text.utf8)
            recent.remember(bytes, as: Int32(i))
            #expect(bytes.withUnsafeBufferPointer { recent.number(of: $0) } == Int32(i), "\(text)")
        }
        for (i, text) in texts.enumerated() {
            let found = Array(text.utf8).withUnsafeBufferPointer { recent.number(of: $0) }
            if let found { #expect(texts[Int(found)] == text && found <= Int32(texts.lastIndex(of: text)!), "\(i): \(text) found as \(texts[Int(found)])") }
        }
        #expect(Array("never seen".utf8).withUnsafeBufferPointer { recent.number(of: $0) } == nil)
    }
}
