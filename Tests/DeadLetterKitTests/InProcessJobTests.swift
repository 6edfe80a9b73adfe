@testable import DeadLetterExport
@testable import DeadLetterQuery
@testable import DeadLetterEngine
@testable import DeadLetterSupport
import Foundation
import Testing

/// Jobs run in-process into memory give exactly what the binary writes.
@Suite struct InProcessJobTests {
    /// Two records, a malformed line and a missing input: stdout, stderr and the status all have something.
    static func fixture() throws -> (dir: URL, paths: [String]) {
        let dir = try CLI.temporaryDirectory()
        let file = dir.appendingPathComponent("processing-failed-1").path
        let text = [RecordEngineTests.firehoseLine(1, 1), "not json", RecordEngineTests.firehoseLine(1, 2)].joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return (dir, [file, dir.appendingPathComponent("missing").path])
    }

    static func input(_ paths: [String], strict: Bool) -> InputOptions {
        var input = InputOptions()
        input.paths = paths
        input.strict = strict
        input.progress = false
        return input
    }

    @Test(arguments: [false, true]) func summarizeInMemoryEqualsTheBinary(strict: Bool) throws {
        let (dir, paths) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = SummarizeOptions()
        options.input = Self.input(paths, strict: strict)
        options.format = .json
        let output = MemorySink()
        let diagnostics = Diagnostics.capturing()
        let status = try SummarizeJob.run(options, output: output, diagnostics: diagnostics)
        let binary = try CLI.run(["summarize", "--format", "json"] + (strict ? ["--strict"] : []) + paths)
        #expect(output.text == binary.stdout)
        #expect(diagnostics.text == binary.stderr)
        #expect(status.rawValue == binary.status)
        #expect(status == (strict ? .malformedInStrictMode : .inputError))
        #expect(output.text.contains("\"records\" : 2") || output.text.contains("\"records\": 2"))
    }

    @Test func recordsInMemoryEqualsTheBinary() throws {
        let (dir, paths) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = RecordsOptions()
        options.input = Self.input(paths, strict: false)
        let output = MemorySink()
        let diagnostics = Diagnostics.capturing()
        let status = try RecordsJob.run(options, output: output, diagnostics: diagnostics)
        let binary = try CLI.run(["records"] + paths)
        #expect(output.text == binary.stdout)
        #expect(output.text.split(separator: "\n").count == 2)
        #expect(diagnostics.text == binary.stderr)
        #expect(status.rawValue == binary.status)
        #expect(status == .inputError)
    }

    @Test func recordsStopsQuietlyWhenTheReaderGoesAway() throws {
        let (dir, paths) = try Self.fixture()
        defer { try? FileManager.default.removeItem(at: dir) }
        var options = RecordsOptions()
        options.input = Self.input(Array(paths.prefix(1)), strict: false)
        let full = MemorySink()
        _ = try RecordsJob.run(options, output: full, diagnostics: .capturing())
        let cut = MemorySink(closingAfter: 40)
        let status = try RecordsJob.run(options, output: cut, diagnostics: .capturing())
        #expect(status == .success)
        #expect(cut.bytes == Array(full.bytes.prefix(40)))
    }
}
