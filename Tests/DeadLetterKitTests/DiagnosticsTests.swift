@testable import DeadLetterExport
@testable import DeadLetterSupport
import Foundation
import Testing

/// Diagnostics as values: one rendering, counts kept whether shown or not, and the exit status derived
/// from the counts by one rule.
@Suite struct DiagnosticsTests {
    @Test func renderingMatchesTheTextOfEarlierReleases() {
        let malformed = Diagnostic.warning(.malformedLine, at: SourceLocation(file: "bucket/a.json", line: 7), "malformed: not JSON")
        #expect(malformed.rendered == "deadletter: warning: bucket/a.json:7: malformed: not JSON\n")
        let unreadable = Diagnostic.error(.unreadableInput, at: SourceLocation(file: "b.gz"), "truncated gzip")
        #expect(unreadable.rendered == "deadletter: b.gz: truncated gzip\n")
        #expect(Diagnostic.note(.repeatedMessages, "3 SQS messages were read more than once").rendered
            == "deadletter: note: 3 SQS messages were read more than once\n")
    }

    @Test func pathAndMessageFromTheInputAreEscaped() {
        let hostile = Diagnostic.warning(.payloadProblem, at: SourceLocation(file: "x\u{1B}[2Jy", line: 1), "bad\u{7}\nline\u{202E}")
        #expect(hostile.rendered == "deadletter: warning: x\\x1B[2Jy:1: bad\\x07\\nline\\u{202E}\n")
    }

    @Test func quietHidesWarningsAndNotesButCountsThem() {
        let diagnostics = Diagnostics.capturing()
        diagnostics.quiet = true
        diagnostics.report(.warning(.malformedLine, at: SourceLocation(file: "f", line: 1), "m"))
        diagnostics.report(.note(.skippedInput, "n"))
        diagnostics.report(.error(.unreadableInput, at: SourceLocation(file: "g"), "cannot open"))
        #expect(diagnostics.text == "deadletter: g: cannot open\n")
        #expect(diagnostics.tally.count(.warning) == 1)
        #expect(diagnostics.tally.count(.note) == 1)
        #expect(diagnostics.tally.count(.malformedLine) == 1)
        #expect(diagnostics.tally.count(.error) == 1)
    }

    @Test func countedWithoutShowing() {
        let diagnostics = Diagnostics.capturing()
        diagnostics.report(.warning(.malformedLine, at: SourceLocation(file: "f", line: 1), "m"))
        diagnostics.count(.warning, .malformedLine, 14)
        #expect(diagnostics.shown.count == 1)
        #expect(diagnostics.tally.count(.malformedLine) == 15)
        #expect(diagnostics.tally.count(.warning) == 15)
    }

    @Test func reportsFromManyThreadsAreAllCountedAndShownWhole() {
        let diagnostics = Diagnostics.capturing()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for line in 1...500 {
                diagnostics.report(.warning(.payloadProblem, at: SourceLocation(file: "w\(worker)", line: line), "p"))
            }
        }
        #expect(diagnostics.tally.count(.payloadProblem) == 4000)
        #expect(Set(diagnostics.shown).count == 4000)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var counts: [(DiagnosticSeverity, DiagnosticCode, Int)]
        var strict: Bool
        var status: DeadLetterSupport.ExitStatus
        var testDescription: String { "\(counts.map { "\($0.2) \($0.1)" }) strict=\(strict)" }
    }

    /// The contract's EXIT STATUS section, case by case.
    static let rule: [Case] = [
        Case(counts: [], strict: false, status: .success),
        Case(counts: [], strict: true, status: .success),
        Case(counts: [(.warning, .malformedLine, 3), (.note, .repeatedMessages, 1), (.warning, .payloadProblem, 2)], strict: false, status: .success),
        Case(counts: [(.warning, .malformedLine, 1)], strict: true, status: .malformedInStrictMode),
        Case(counts: [(.warning, .trailingJunk, 1)], strict: true, status: .malformedInStrictMode),
        Case(counts: [(.warning, .payloadProblem, 5), (.warning, .messageIdConflict, 1)], strict: true, status: .success),
        Case(counts: [(.error, .unreadableInput, 1)], strict: false, status: .inputError),
        Case(counts: [(.error, .backfillOutput, 1)], strict: true, status: .inputError),
        Case(counts: [(.error, .unreadableInput, 2), (.warning, .malformedLine, 1)], strict: true, status: .malformedInStrictMode),
        Case(counts: [(.error, .unreadableInput, 2), (.warning, .malformedLine, 1)], strict: false, status: .inputError),
        Case(counts: [(.error, .outputFailed, 1), (.warning, .malformedLine, 1)], strict: true, status: .inputError),
        Case(counts: [(.error, .usage, 1), (.error, .outputFailed, 1), (.warning, .malformedLine, 1)], strict: true, status: .usage),
    ]

    @Test(arguments: rule) func exitStatusRule(_ c: Case) {
        let diagnostics = Diagnostics.capturing()
        diagnostics.strict = c.strict
        for (severity, code, n) in c.counts { diagnostics.count(severity, code, n) }
        #expect(diagnostics.exitStatus == c.status)
    }

    /// Past the first ten, malformed lines are counted, not shown; the status still sees every one of them.
    @Test(arguments: [false, true]) func malformedLinesNotShownStillCount(strict: Bool) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("processing-failed-1").path
        let lines = [RecordEngineTests.firehoseLine(1, 1)] + Array(repeating: "not json", count: 13)
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
        var options = SummarizeOptions()
        options.input.paths = [file]
        options.input.strict = strict
        options.input.progress = false
        options.format = .json
        let diagnostics = Diagnostics.capturing()
        let status = try SummarizeJob.run(options, output: MemorySink(), diagnostics: diagnostics)
        #expect(diagnostics.shown.filter { $0.code == .malformedLine }.count == 10)
        #expect(diagnostics.shown.filter { $0.code == .malformedLine }.map(\.location?.line) == Array(2...11))
        #expect(diagnostics.tally.count(.malformedLine) == 13)
        #expect(diagnostics.shown.last?.message == "3 more malformed lines not shown (13 in all; --format json lists samples)")
        #expect(status == (strict ? .malformedInStrictMode : .success))
    }
}

/// The output sinks and the buffer jobs write through.
@Suite struct OutputTests {
    @Test func memorySinkClosesLikeAReaderThatGoesAway() {
        let sink = MemorySink(closingAfter: 5)
        let output = BufferedOutput(sink)
        output.write("abc")
        output.flush()
        #expect(!output.closed)
        output.write("defgh")
        output.flush()
        #expect(output.closed)
        #expect(sink.state == .closed)
        output.write("more")
        output.flush()
        #expect(sink.text == "abcde")
    }

    @Test func bufferHandsOnOnlyFullChunksUntilFlushed() {
        let sink = MemorySink()
        let output = BufferedOutput(sink)
        let row = String(repeating: "x", count: 1000) + "\n"
        for _ in 0..<65 { output.write(row) }
        #expect(sink.bytes.isEmpty)
        output.write(row)
        #expect(sink.bytes.count == 66 * 1001)
        output.write("tail")
        #expect(sink.bytes.count == 66 * 1001)
        output.flush()
        #expect(sink.text.hasSuffix("\ntail"))
    }

    @Test func aFailedWriteIsAFailureNotAClosedPipe() {
        let sink = FileDescriptorSink(fd: -1)
        let output = BufferedOutput(sink)
        output.write("x")
        output.flush()
        #expect(output.closed)
        #expect(sink.state == .failed("Bad file descriptor"))
    }
}
