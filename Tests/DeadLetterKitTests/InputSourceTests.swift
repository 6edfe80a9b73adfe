@testable import DeadLetterEngine
@testable import DeadLetterInput
@testable import DeadLetterSupport
import Foundation
import Testing

/// The input side is open: a kind of source is chosen from an argument's text before anything touches the
/// file system, and what it lists is read by the same engine as local files.
@Suite struct InputSourceTests {
    /// Claims `test://NAME` and lists one in-memory unit per argument holding one Firehose record.
    struct TestSource: InputSource {
        func claims(_ argument: String) -> Bool { argument.hasPrefix("test://") }

        mutating func list(_ argument: String, into listing: inout InputListing) {
            let line = #"{"attemptsMade":1,"errorCode":"From.\#(argument.dropFirst(7))","rawData":"YQ=="}"# + "\n"
            listing.units.append(InputUnit(name: argument, size: Int64(line.utf8.count),
                                           origin: MemoryInput(bytes: Array(line.utf8), chunk: 7)))
        }
    }

    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-sources-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aSourceChosenBySchemeIsListedInArgumentOrderAndReadByTheEngine() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let local = dir.appendingPathComponent("local.json")
        try Data(#"{"attemptsMade":1,"errorCode":"From.disk","rawData":"YQ=="}"#.utf8).write(to: local)

        let listing = InputSources.list(["test://one", local.path, "test://two"], sources: [TestSource(), LocalPaths()])
        // Had the local walk seen `test://one` first, it would be a "No such file or directory" problem.
        #expect(listing.problems.isEmpty)
        #expect(listing.units.map(\.name) == ["test://one", local.path, "test://two"])
        #expect(listing.units.map(\.identity.scheme) == ["memory", "file", "memory"])
        // Sizes add up for the progress line: the two lines and the file are 59 bytes each.
        #expect(listing.totalBytes == Int64(3 * 59))

        var options = InputOptions()
        options.quiet = true
        options.progress = false
        var seen: [String] = []
        for workers in [1, 3] {
            seen = []
            let outcome = InputRun(options: options, diagnostics: Diagnostics(fd: -1)).run(listing, workers: workers, prepare: { record in
                "\(record.file.path) \(record.errorCode ?? "-")"
            }) { event in
                if case .record(let row) = event { seen.append(row) }
                return true
            }
            #expect(outcome.inputErrors == 0)
            #expect(seen == ["test://one From.one", "\(local.path) From.disk", "test://two From.two"], "\(workers) readers")
        }
    }

    /// A unit that cannot be opened.
    struct UnopenableInput: InputOrigin {
        var identity: InputIdentity { InputIdentity(scheme: "memory", key: "unopenable") }
        func open(counting progress: ProgressCounters?) throws(InputError) -> OpenedInput { throw .cannotOpen("Permission denied") }
    }

    /// The progress line counts every unit done, opened or not, so a run with an unreadable input ends at
    /// N/N files rather than N-1/N.
    @Test func theProgressCountsUnitsThatCannotBeOpened() {
        let line = #"{"attemptsMade":1,"errorCode":"X","rawData":"YQ=="}"# + "\n"
        let units = [InputUnit(name: "a", size: nil, origin: MemoryInput(bytes: Array(line.utf8), chunk: 7)),
                     InputUnit(name: "b", size: nil, origin: UnopenableInput())]
        var options = ReadOptions()
        let counters = ProgressCounters()
        options.progress = counters
        var reader = RecordReader(options: options)
        var errors: [String] = []
        for unit in units {
            reader.read(unit) { event in
                if case .finished(let stats) = event, let error = stats.error { errors.append("\(stats.path): \(error)") }
                return true
            }
        }
        #expect(errors == ["b: cannot open: Permission denied"])
        #expect(counters.snapshot.files == 2)
        #expect(counters.snapshot.records == 1)
    }

    @Test func anArgumentNoSourceClaimsIsAProblemNotAGuess() {
        let listing = InputSources.list(["test://x", "s3://bucket/key"], sources: [TestSource()])
        #expect(listing.units.map(\.name) == ["test://x"])
        #expect(listing.problems == [InputProblem(path: "s3://bucket/key", reason: "no input source reads this")])
    }

    @Test func standardInputHasNoSizeSoTheTotalIsUnknown() {
        let listing = InputSources.list(["-"])
        #expect(listing.units.map(\.name) == ["-"])
        #expect(listing.units.first?.size == nil)
        #expect(listing.totalBytes == nil)
    }

    /// The reason is the system's own words for the failing call (strerror of ENOENT and EISDIR), not
    /// whatever `errno` holds by the time someone reads it.
    @Test func openAndReadFailuresCarryTheSystemsReason() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing").path
        #expect(throws: InputError.cannotOpen("No such file or directory")) { try FilePath(missing).openForReading() }

        #expect { try FileContents.read(missing) } throws: { ($0 as? FileContents.Unreadable)?.reason == "No such file or directory" }
        // A directory opens but cannot be read.
        #expect { try FileContents.read(dir.path) } throws: { ($0 as? FileContents.Unreadable)?.reason == "Is a directory" }
        let file = dir.appendingPathComponent("f")
        try Data("abc".utf8).write(to: file)
        #expect(try FileContents.read(file.path) == Array("abc".utf8))

        let merged = try CLI.run(["merge", missing])
        #expect(merged.stderr == "deadletter: \(missing): cannot read: No such file or directory\n")
        let agent = try CLI.run(["agent", missing])
        #expect(agent.status == 1)
        #expect(agent.stderr == "deadletter: \(missing): No such file or directory\n")
    }
}
