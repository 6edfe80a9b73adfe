import Foundation
import Testing

/// `backfill --out` never deletes or replaces what is not its own: planted links, an `--out` that appears
/// during the run, inputs and the working directory as `--out`, and leftovers of killed runs. Each test
/// snapshots the trees around the run (every file's bytes, every link's target) and compares them after.
@Suite(.serialized) struct OutputSafetyTests {
    static let record = #"{"rawData":"YQ==","errorCode":"X","arrivalTimestamp":1709647200000}"#

    /// Every entry below `root` (links not followed): relative path → file bytes, "dir" or "link -> target".
    static func snapshot(_ root: URL) -> [String: Data] {
        var result: [String: Data] = [:]
        func walk(_ dir: URL, _ prefix: String) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for name in names {
                let url = dir.appendingPathComponent(name)
                let key = prefix + name
                let type = (try? FileManager.default.attributesOfItem(atPath: url.path)[.type] as? FileAttributeType) ?? nil
                switch type {
                case .typeSymbolicLink?:
                    result[key] = Data(("link -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) ?? "?")).utf8)
                case .typeDirectory?:
                    result[key] = Data("dir".utf8)
                    walk(url, key + "/")
                default:
                    result[key] = (try? Data(contentsOf: url)) ?? Data("unreadable".utf8)
                }
            }
        }
        walk(root, "")
        return result
    }

    /// A directory of a few files and a subfolder, as someone else's data.
    static func makeVictim(at url: URL) throws {
        try FileManager.default.createDirectory(at: url.appendingPathComponent("sub"), withIntermediateDirectories: true)
        try Data("precious 1\n".utf8).write(to: url.appendingPathComponent("a.txt"))
        try Data("precious 2\n".utf8).write(to: url.appendingPathComponent("sub/b.txt"))
    }

    /// A backfill reading stdin that stays open until `finish` is called: the run is mid-way meanwhile.
    final class OpenRun {
        let process = Process()
        let stdin = Pipe()
        let errURL: URL
        init(_ arguments: [String], cwd: URL? = nil) throws {
            errURL = try CLI.temporaryDirectory().appendingPathComponent("stderr")
            _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
            process.executableURL = CLI.binary
            process.arguments = ["backfill", "-", "--target", "raw", "--kind", "processing-failed"] + arguments
            process.currentDirectoryURL = cwd ?? CLI.packageRoot
            process.standardInput = stdin
            process.standardOutput = FileHandle.nullDevice
            process.standardError = try FileHandle(forWritingTo: errURL)
            try process.run()
            stdin.fileHandleForWriting.write(Data((OutputSafetyTests.record + "\n").utf8))
        }
        var pid: Int32 { process.processIdentifier }

        /// Waits until the staging directory beside `out` exists; returns its name.
        func waitForStaging(in parent: URL, out: String) -> String? {
            for _ in 0..<500 {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
                if let name = names.first(where: { $0.hasPrefix(".\(out).deadletter-partial-\(pid)-") }) { return name }
                usleep(10_000)
            }
            return nil
        }

        func finish() -> (status: Int32, stderr: String) {
            try? stdin.fileHandleForWriting.close()
            CLI.awaitExit(process)
            let text = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: errURL.deletingLastPathComponent())
            return (process.terminationStatus, text)
        }
    }

    /// A process id that no process has now: a child that has exited and been reaped.
    static func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    func backfillOnce(into out: URL) throws {
        let r = try CLI.run(["backfill", "-", "--target", "raw", "--kind", "processing-failed", "--out", out.path, "-q"],
                            stdin: Data((Self.record + "\n").utf8))
        #expect(r.status == 0, "\(r.stderr)")
    }

    // MARK: 1. links planted at working names

    @Test func linksPlantedAtWorkingNamesNeverLeadARemovalOutside() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let victim = root.appendingPathComponent("victim")
        try Self.makeVictim(at: victim)
        let out = root.appendingPathComponent("out")
        try backfillOnce(into: out)

        let run = try OpenRun(["--out", out.path, "--force"])
        let staging = try #require(run.waitForStaging(in: root, out: "out"))
        // The name carries a part nobody can know in advance, not just the process id.
        let suffix = staging.dropFirst(".out.deadletter-partial-\(run.pid)-".count)
        #expect(suffix.count == 8 && suffix.allSatisfy { $0.isLetter || $0.isNumber }, "\(staging)")
        // Links at every name the earlier versions used (this run's process id and a dead one's).
        let dead = try Self.deadProcessID()
        let planted = [".out.deadletter-partial-\(run.pid)", ".out.deadletter-old-\(run.pid)",
                       ".out.deadletter-partial-\(dead)", ".out.deadletter-old-\(dead)", ".out.deadletter-old-\(dead)-AAAAAAAA"]
        for name in planted {
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(name).path, withDestinationPath: victim.path)
        }
        let victimBefore = Self.snapshot(victim)
        let result = run.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.snapshot(victim) == victimBefore)
        #expect(victimBefore.count == 3)
        for name in planted {
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent(name).path)) == victim.path)
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("manifest.json").path))
        // A second --force run meets the same links: still nothing outside its own files changes.
        let again = try CLI.run(["backfill", "-", "--target", "raw", "--kind", "processing-failed", "--out", out.path, "--force"],
                                stdin: Data((Self.record + "\n").utf8))
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("is not a directory; left alone"))
        #expect(Self.snapshot(victim) == victimBefore)
    }

    // MARK: 2. an --out that appears or changes meanwhile

    @Test(arguments: [false, true])
    func anOutThatChangesDuringTheRunIsNeverReplaced(existedEmpty: Bool) throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        if existedEmpty { try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false) }
        let run = try OpenRun(["--out", out.path])
        #expect(run.waitForStaging(in: root, out: "out") != nil)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("someone else's\n".utf8).write(to: out.appendingPathComponent("theirs.txt"))
        let before = Self.snapshot(out)
        let result = run.finish()
        #expect(result.status == 64, "\(result.stderr)")
        #expect(Self.snapshot(out) == before)
        // The finished output is kept under the name the message gives.
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        let kept = try #require(names.first { $0.hasPrefix("out.deadletter-") })
        // A diagnostic, not a usage error: the command line was right, so no usage block after the run.
        #expect(result.stderr.hasPrefix("deadletter: --out '\(out.path)' was not replaced: "), "\(result.stderr)")
        #expect(!result.stderr.contains("Usage:"), "\(result.stderr)")
        #expect(result.stderr.contains(root.appendingPathComponent(kept).path))
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(kept).appendingPathComponent("manifest.json").path))
        #expect(!names.contains { $0.hasPrefix(".out.deadletter-partial") })
    }

    @Test func twoRunsIntoOneOutLeaveTheFirstAndRefuseTheSecond() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let first = try OpenRun(["--out", out.path])
        let second = try OpenRun(["--out", out.path])
        #expect(first.waitForStaging(in: root, out: "out") != nil)
        #expect(second.waitForStaging(in: root, out: "out") != nil)
        let a = first.finish()
        #expect(a.status == 0, "\(a.stderr)")
        let written = Self.snapshot(out)
        let b = second.finish()
        #expect(b.status == 64, "\(b.stderr)")
        #expect(b.stderr.contains("was created meanwhile"))
        #expect(Self.snapshot(out) == written)
    }

    // MARK: 3. inputs, the working directory and other directories as --out

    @Test func outputsThatWouldDestroyInputsOrOtherDataAreRefused() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("input/processing-failed")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        try Data((Self.record + "\n").utf8).write(to: input.appendingPathComponent("s-1-2024-03-05-14-00-00-x"))
        let other = root.appendingPathComponent("other")
        try Self.makeVictim(at: other)
        let home = root.appendingPathComponent("home")
        try Self.makeVictim(at: home)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("link-to-input").path, withDestinationPath: input.path)
        let before = Self.snapshot(root)
        let cases: [(out: String, input: String, expect: String)] = [
            (root.path, "input", "is the current directory"),
            (".", "input", "name a new or empty directory"),
            (input.path, input.path, "is the input"),
            ("link-to-input", input.path, "is the input"),
            ("input", "input/processing-failed", "contains the input"),
            ("input/processing-failed/replay", "input", "lies inside the input"),
            ("input/../input", "input", "is the input"),
            (other.path, "input", "holds no deadletter manifest.json"),
            (home.path, "input", "is your home directory"),
            (root.deletingLastPathComponent().path, "input", "contains the current directory"),
            ("/", "input", "root directory"),
        ]
        for c in cases {
            let r = try CLI.run(["backfill", c.input, "--target", "raw", "--out", c.out, "--force"],
                                environment: ["HOME": home.path], cwd: root)
            #expect(r.status == 64, "--out \(c.out): \(r.stderr)")
            #expect(r.stderr.contains(c.expect), "--out \(c.out): \(r.stderr)")
        }
        #expect(Self.snapshot(root) == before)
    }

    // MARK: 4. leftovers of killed and interrupted runs

    @Test func aKilledRunsStagingIsRemovedByTheNextRunWhichSaysSo() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        let run = try OpenRun(["--out", out.path])
        let staging = try #require(run.waitForStaging(in: root, out: "out"))
        kill(run.pid, SIGKILL)
        _ = run.finish()
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(staging).path))
        let next = try CLI.run(["backfill", "-", "--target", "raw", "--kind", "processing-failed", "--out", out.path],
                               stdin: Data((Self.record + "\n").utf8))
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("removed '\(root.appendingPathComponent(staging).path)', left by an interrupted run"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }

    @Test func aForceInterruptedBetweenItsRenamesIsRestored() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try backfillOnce(into: out)
        let previous = Self.snapshot(out)
        // What a --force killed between its two renames leaves: --out missing, the old output set aside,
        // the new one still staged.
        let dead = try Self.deadProcessID()
        let aside = root.appendingPathComponent(".out.deadletter-old-\(dead)-Q1w2E3r4")
        try FileManager.default.moveItem(at: out, to: aside)
        try Self.makeVictim(at: root.appendingPathComponent(".out.deadletter-partial-\(dead)-Z9x8C7v6"))
        let next = try CLI.run(["backfill", "-", "--target", "raw", "--kind", "processing-failed", "--out", out.path],
                               stdin: Data((Self.record + "\n").utf8))
        #expect(next.status == 64, "\(next.stderr)")
        #expect(next.stderr.contains("restored '\(out.path)'"))
        #expect(next.stderr.contains("is not empty; use --force"))
        #expect(Self.snapshot(out) == previous)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }

    @Test func forceReplacesAPreviousOutputAndLeavesNothingBeside() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try backfillOnce(into: out)
        try Data("stale\n".utf8).write(to: out.appendingPathComponent("raw-00099.txt"))
        let r = try CLI.run(["backfill", "-", "--target", "raw", "--kind", "processing-failed", "--out", out.path, "--force", "-q"],
                            stdin: Data((Self.record + "\n" + Self.record + "\n").utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == ["manifest.json", "raw-00001.txt", "rejects.ndjson"])
        #expect(try Data(contentsOf: out.appendingPathComponent("raw-00001.txt")) == Data("a\na\n".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
    }
}
