@testable import DeadLetterBackfill
import Foundation
import Testing

/// `OutputDirectory` in-process, with and without the atomic renames (RENAME_NOREPLACE, RENAME_EXCHANGE),
/// so the fallbacks of file systems that lack them are exercised on every machine. `--out` is changed
/// between the start of a run and its commit, as another process would.
@Suite(.serialized) struct OutputDirectoryTests {
    static let manifest = Data("{\n  \"schema\": \"deadletter.backfill/1\",\n  \"files\": []\n}\n".utf8)

    func makePreviousOutput(_ url: URL, marker: String) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Self.manifest.write(to: url.appendingPathComponent("manifest.json"))
        try Data(marker.utf8).write(to: url.appendingPathComponent("raw-00001.txt"))
    }

    func names(_ url: URL) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }

    func open(_ out: URL, force: Bool = false, atomic: Bool, notes: inout [String]) throws -> OutputDirectory {
        var heard: [String] = []
        let directory = try OutputDirectory(destination: out.path, force: force, inputs: [], note: { heard.append($0) },
                                            atomicRenames: atomic)
        notes = heard
        return directory
    }

    /// A run into a new `--out`, or with `--force` over an earlier output ("old"), with its new file ("new")
    /// written, not yet committed.
    func started(atomic: Bool, overPreviousOutput: Bool) throws -> (root: URL, out: URL, directory: OutputDirectory) {
        let root = try CLI.temporaryDirectory()
        let out = root.appendingPathComponent("out")
        if overPreviousOutput { try makePreviousOutput(out, marker: "old") }
        var notes: [String] = []
        let directory = try open(out, force: overPreviousOutput, atomic: atomic, notes: &notes)
        try directory.write(name: "raw-00001.txt", bytes: Array("new".utf8))
        return (root, out, directory)
    }

    @Test(arguments: [true, false])
    func aNewOutAppearsWhole(atomic: Bool) throws {
        let (root, out, directory) = try started(atomic: atomic, overPreviousOutput: false)
        defer { try? FileManager.default.removeItem(at: root) }
        // Private while it is being written.
        let staging = try #require(try names(root).first)
        let mode = try FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(staging).path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        try directory.commit()
        #expect(try names(root) == ["out"])
        #expect(try String(contentsOf: out.appendingPathComponent("raw-00001.txt"), encoding: .utf8) == "new")
        let shown = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int
        #expect(shown != 0o700)
    }

    @Test(arguments: [true, false])
    func forceReplacesThePreviousOutputAndRemovesIt(atomic: Bool) throws {
        let (root, out, directory) = try started(atomic: atomic, overPreviousOutput: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try directory.commit()
        #expect(try names(root) == ["out"])
        #expect(try names(out) == ["raw-00001.txt"])
        #expect(try String(contentsOf: out.appendingPathComponent("raw-00001.txt"), encoding: .utf8) == "new")
    }

    @Test(arguments: [true, false])
    func anOutCreatedMeanwhileIsLeftAndTheOutputKeptBeside(atomic: Bool) throws {
        let (root, out, directory) = try started(atomic: atomic, overPreviousOutput: false)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        try Data("theirs".utf8).write(to: out.appendingPathComponent("theirs.txt"))
        #expect(throws: OutputDirectory.Failure.self) { try directory.commit() }
        #expect(try names(out) == ["theirs.txt"])
        // Kept under a visible name that no later run's cleanup takes for a leftover.
        let kept = try #require(try names(root).first { $0.hasPrefix("out.deadletter-") })
        #expect(try names(root).count == 2)
        #expect(try String(contentsOf: root.appendingPathComponent(kept).appendingPathComponent("raw-00001.txt"), encoding: .utf8) == "new")
        var later: [String] = []
        _ = try? open(root.appendingPathComponent("out"), force: true, atomic: atomic, notes: &later)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(kept).path))
    }

    @Test(arguments: [true, false])
    func aPreviousOutputSwappedMeanwhileIsNotReplaced(atomic: Bool) throws {
        let (root, out, directory) = try started(atomic: atomic, overPreviousOutput: true)
        defer { try? FileManager.default.removeItem(at: root) }
        // Another run replaces --out with its own output before this one commits.
        try FileManager.default.moveItem(at: out, to: root.appendingPathComponent("moved"))
        try makePreviousOutput(out, marker: "another run's")
        var failure: OutputDirectory.Failure?
        do { try directory.commit() } catch { failure = error }
        guard case .conflict(let message)? = failure else {
            Issue.record("expected a conflict, got \(String(describing: failure))")
            return
        }
        #expect(message.contains("replaced meanwhile"))
        #expect(try String(contentsOf: out.appendingPathComponent("raw-00001.txt"), encoding: .utf8) == "another run's")
        #expect(try String(contentsOf: root.appendingPathComponent("moved/raw-00001.txt"), encoding: .utf8) == "old")
    }

    @Test func aSetAsideOutputIsKeptWhenOutIsNotABackfillOutputNow() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        // An interrupted --force set the old output aside; since then someone made --out anew, by hand.
        let aside = root.appendingPathComponent(".out.deadletter-old-999999-AbCdEfGh")
        try makePreviousOutput(aside, marker: "old")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        var notes: [String] = []
        let directory = try open(out, atomic: true, notes: &notes)
        directory.abandon()
        #expect(FileManager.default.fileExists(atPath: aside.appendingPathComponent("raw-00001.txt").path))
        #expect(notes.contains { $0.contains("left alone for you to look at") }, "\(notes)")
    }

    @Test func aLeftoverHeldByALiveRunIsLeftAlone() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        var notes: [String] = []
        // A run in progress (its pid is this process's, so the name says nothing; its lock does).
        let first = try open(out, atomic: true, notes: &notes)
        let staging = try #require(try names(root).first)
        let second = try open(out, atomic: true, notes: &notes)
        #expect(notes.contains { $0.contains("still going") }, "\(notes)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(staging).path))
        second.abandon()
        first.abandon()
        #expect(try names(root).isEmpty)
    }
}
