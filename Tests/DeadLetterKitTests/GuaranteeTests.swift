import Foundation
import Testing

/// One test per promise in the README's "Guarantees": hostile input, faults and interruptions, each built
/// here on the fly (nothing large on disk).
@Suite(.serialized) struct GuaranteeTests {
    /// Runs a shell pipeline around the binary; `$DL` is the binary. Returns status, stdout, stderr and peak RSS (KB).
    func shell(_ script: String, cwd: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String, rssKB: Int) {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let timeFile = dir.appendingPathComponent("time")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "set -o pipefail; DL='\(CLI.binary.path)'; \(script)"]
        process.environment = ProcessInfo.processInfo.environment.merging(["TIMEFILE": timeFile.path]) { $1 }
        process.currentDirectoryURL = cwd ?? CLI.packageRoot
        let out = Pipe(), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let stdout = CLI.awaitExit(process) { String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        let rss = (try? String(contentsOf: timeFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? -1
        return (process.terminationStatus, stdout, String(decoding: try Data(contentsOf: err), as: UTF8.self), rss)
    }

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func aOneGigabyteLineIsRejectedWithoutBeingHeldInMemory() throws {
        // 1 GB of 'a' with no newline, then a good record: streamed through stdin.
        let r = try shell(#"""
        { head -c 1000000000 /dev/zero | tr '\0' 'a'; printf '\n{"rawData":"YQ==","errorCode":"X"}\n'; } |
          /usr/bin/time -f %M -o "$TIMEFILE" "$DL" summarize --format json
        """#)
        #expect(r.status == 0)
        let totals = try #require(try json(r.stdout)["totals"] as? [String: Any])
        #expect(totals["records"] as? Int == 1)
        #expect(totals["malformed"] as? Int == 1)
        #expect(totals["lines"] as? Int == 2)
        #expect(r.stderr.contains(":1: malformed: not JSON"))
        #expect(r.rssKB > 0 && r.rssKB < 100_000, "peak RSS \(r.rssKB) KB")
    }

    @Test func aHugeRecordIsRejectedPastMaxRecordBytes() throws {
        let r = try shell(#"""
        { printf '{"rawData":"'; head -c 100000000 /dev/zero | tr '\0' 'A'; printf '","errorCode":"X"}\n{"rawData":"YQ==","errorCode":"X"}\n'; } |
          /usr/bin/time -f %M -o "$TIMEFILE" "$DL" summarize --format json
        """#)
        let totals = try #require(try json(r.stdout)["totals"] as? [String: Any])
        #expect(totals["records"] as? Int == 1)
        #expect(totals["malformed"] as? Int == 1)
        #expect(r.stderr.contains("record larger than 16777216 bytes (--max-record-bytes)"))
        #expect(r.rssKB < 100_000, "peak RSS \(r.rssKB) KB")
    }

    @Test func aGzipBombObjectIsOneMalformedLineAndMemoryStaysFlat() throws {
        // 300 MB of NUL bytes compress to about 300 KB.
        let r = try shell(#"""
        head -c 300000000 /dev/zero | gzip -1 | /usr/bin/time -f %M -o "$TIMEFILE" "$DL" summarize --format json
        """#)
        let totals = try #require(try json(r.stdout)["totals"] as? [String: Any])
        #expect(totals["malformed"] as? Int == 1)
        #expect(totals["records"] as? Int == 0)
        #expect(r.rssKB < 100_000, "peak RSS \(r.rssKB) KB")
    }

    @Test func zeroByteFilesDanglingLinksFIFOsAndLinkLoopsAreReportedNotFatal() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try shell(#"""
        mkdir -p in/sub && : > in/empty.json && printf '{"rawData":"YQ==","errorCode":"X"}\n' > in/good.json &&
        ln -s does-not-exist in/dangling && mkfifo in/pipe && ln -s .. in/sub/loop &&
        "$DL" summarize in --format json
        """#, cwd: dir)
        #expect(r.status == 1)   // the dangling link could not be read
        let totals = try #require(try json(r.stdout)["totals"] as? [String: Any])
        #expect(totals["records"] as? Int == 1)
        #expect(totals["files"] as? Int == 2)   // empty.json and good.json
        #expect(totals["lines"] as? Int == 1)
        #expect(r.stderr.contains("in/dangling: No such file or directory"))
        #expect(r.stderr.contains("in/pipe: not a regular file (FIFO, socket or device); skipped"))
        #expect(r.stderr.contains("in/sub/loop: directory link loop; not walked again"))
    }

    @Test func fileNamesWithControlCharactersAreEscapedInMessages() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try shell(#"""
        mkdir in && printf 'junk\n' > "in/$(printf 'evil\033[2Jname')" && "$DL" summarize in --format json
        """#, cwd: dir)
        #expect(!r.stderr.contains("\u{1B}"))
        #expect(r.stderr.contains("evil\\x1B[2Jname:1: malformed: not JSON"))
    }

    @Test func filesWhoseNamesAreNotUTF8AreReadAndShownSafely() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try shell(#"""
        mkdir in && printf '{"rawData":"YQ==","errorCode":"X"}\nnot json\n' > "in/$(printf 'bad\377name')" && "$DL" summarize in --format json
        """#, cwd: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let totals = try #require(try json(r.stdout)["totals"] as? [String: Any])
        #expect(totals["records"] as? Int == 1)
        #expect(totals["inputErrors"] as? Int == 0)
        // Shown with U+FFFD in place of the byte that is not UTF-8.
        #expect(r.stderr.contains("in/bad\u{FFFD}name:2: malformed: not JSON"))
    }

    @Test func recordContentNeverSteersAnOutputPath() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try shell(#"""
        printf '{"rawData":"eyJhIjoxfQ==","errorCode":"400","esIndexName":"../../../etc/evil","esDocumentId":"/root/x"}\n' |
          "$DL" backfill --target opensearch --out out -q && find . -mindepth 1 | sort
        """#, cwd: dir)
        #expect(r.status == 0)
        #expect(r.stdout.split(separator: "\n").suffix(4) == ["./out", "./out/manifest.json", "./out/opensearch-00001.ndjson", "./out/rejects.ndjson"])
    }

    @Test func aFullDiskDuringBackfillLeavesNothingAndSaysSo() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // ulimit -f makes writes past 64 KiB fail as a full disk would.
        let r = try shell(#"""
        python3 -c "
        import base64, sys
        for i in range(2000): sys.stdout.write('{\"rawData\":\"%s\",\"errorCode\":\"X\"}\n' % base64.b64encode(b'x' * 500).decode())
        " > in.json && (ulimit -f 64; "$DL" backfill in.json --target raw --out out -q); echo "status=$?"; ls -A
        """#, cwd: dir)
        #expect(r.stdout.contains("status=1"))
        #expect(r.stderr.contains("File too large") && r.stderr.contains("nothing was written"))
        #expect(r.stdout.split(separator: "\n").filter { !$0.hasPrefix("status=") } == ["in.json"])
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedSummaryWritesNothingToTheRedirectedFile(signal: Int32) throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("summary.json")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["summarize", "--format", "json", "-"]
        let stdin = Pipe()
        process.standardInput = stdin
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        // Records arrive, the input stays open: the run is under way when the signal comes.
        stdin.fileHandleForWriting.write(Data(#"{"rawData":"YQ==","errorCode":"X"}"#.utf8 + [0x0A]))
        usleep(300_000)
        kill(process.processIdentifier, signal)
        // A child that ignores the signal (it inherited SIG_IGN) would read forever: fail instead of hanging.
        for _ in 0..<1000 where process.isRunning { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the run ignored signal \(signal)")
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(try Data(contentsOf: output).isEmpty)
        try? stdin.fileHandleForWriting.close()
    }

    @Test func invalidUTF8IsShownSafelyAndKeptByteExactInBackfill() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Payload bytes: "caf", 0xE9 (Latin-1 é, invalid UTF-8), "\n".
        let r = try shell(#"""
        printf '{"rawData":"Y2Fm6Qo=","errorCode":"X\xff\xfe"}\n' > in.json &&
        "$DL" records in.json --fields errorCode,payloadType,payload && "$DL" backfill in.json --target raw --out out -q > /dev/null && od -An -tx1 out/raw-00001.txt
        """#, cwd: dir)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first == #"{"errorCode":"X\#u{FFFD}\#u{FFFD}","payloadType":"binary","payload":"Y2Fm6Qo="}"#)
        #expect(lines.last?.trimmingCharacters(in: .whitespaces) == "63 61 66 e9 0a")
    }
}
