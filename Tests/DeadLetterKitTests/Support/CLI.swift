import Foundation
import Testing

/// Runs the built `deadletter` binary as a user would.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            guard let dict = object as? [String: Any] else { throw CLIError.notAnObject(stdout) }
            return dict
        }
    }

    enum CLIError: Error { case binaryNotFound, notAnObject(String) }

    /// The package root, found from this file's path.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// The binary sits next to the test bundle in the build products folder.
    static let binary: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        #if os(Linux)
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            url = URL(fileURLWithPath: exe)
        }
        #endif
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("deadletter")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        return packageRoot.appendingPathComponent(".build/debug/deadletter")
    }()

    @discardableResult
    static func run(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], cwd: URL? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        let bytes = try runCapturingBytes(arguments, stdin: stdin, environment: environment, cwd: cwd, sourceLocation: sourceLocation)
        return Result(status: bytes.status,
                      stdout: String(decoding: bytes.stdout, as: UTF8.self),
                      stderr: String(decoding: bytes.stderr, as: UTF8.self))
    }

    /// `run`, with stdout and stderr exactly as written (golden files compare bytes, not decoded text).
    /// The environment a run gets: this process's, without NO_COLOR or any AWS setting of the machine, with
    /// instance metadata off, then `environment`.
    static func environment(_ environment: [String: String]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        // Never the machine's own AWS settings: a test that reaches AWS says which server and keys it uses.
        for name in env.keys where name.hasPrefix("AWS_") { env.removeValue(forKey: name) }
        // Never the real instance metadata address either: a test of it points it at a stub of its own.
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        for (k, v) in environment { env[k] = v }
        return env
    }

    /// Starts the binary with its output thrown away, for tests that interrupt or kill it.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = Self.environment(environment)
        process.currentDirectoryURL = packageRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func runCapturingBytes(_ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:],
                                  cwd: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> (status: Int32, stdout: Data, stderr: Data) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = Self.environment(environment)
        process.currentDirectoryURL = cwd ?? packageRoot
        let out = Pipe(), input = Pipe()
        // stderr goes to a file: reading two pipes at once would need a second reader thread.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let err = try FileHandle(forWritingTo: errURL)
        defer { try? FileManager.default.removeItem(at: errURL) }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let writer = Thread {
            if let stdin { input.fileHandleForWriting.write(stdin) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let outData = awaitExit(process, sourceLocation: sourceLocation) { out.fileHandleForReading.readDataToEndOfFile() }
        try err.close()
        return (process.terminationStatus, outData, try Data(contentsOf: errURL))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs scripts/gen-corpus.py into a fresh directory; returns the directory and its expected.json.
    static func generateCorpus(records: Int, seed: Int) throws -> (URL, [String: Any]) {
        let dir = try temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("scripts/gen-corpus.py").path,
                             "--out", dir.path, "--records", String(records), "--seed", String(seed)]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        awaitExit(process)
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("expected.json")))
        return (dir, expected as? [String: Any] ?? [:])
    }
}

/// scripts/replay-moto.py: backfill files through boto3 to a local moto server.
enum MotoReplay {
    struct MotoMissing: Error, CustomStringConvertible {
        var output: String
        var description: String {
            "moto is not installed and pip could not install it, so the replay could not run "
                + "(.ci/run installs it; by hand: python3 -m pip install 'moto[server]' boto3): \(output)"
        }
    }

    /// Status and output. Status 77 (moto could not be installed) throws: a replay test that did not replay fails.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let (status, text) = try CLI.capture("/usr/bin/env", ["python3", CLI.packageRoot.appendingPathComponent("scripts/replay-moto.py").path] + arguments)
        if status == 77 { throw MotoMissing(output: text) }
        return (status, text)
    }
}

extension CLI {
    /// Runs a tool (not deadletter) from the package root; its status, and its stdout and stderr together.
    static func capture(_ executable: String, _ arguments: [String],
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let text = awaitExit(process, sourceLocation: sourceLocation) {
            String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        return (process.terminationStatus, text)
    }
}

extension CLI {
    /// Runs `command` under a pseudo-terminal (util-linux `script`), so stdout and stderr are terminals;
    /// returns what the terminal showed. NO_COLOR is removed from the inherited environment, as in `run`.
    static func underTerminal(_ command: String, environment: [String: String] = [:],
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-q", "-e", "-c", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        process.environment = env.merging(environment) { $1 }
        process.currentDirectoryURL = packageRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = awaitExit(process, sourceLocation: sourceLocation) { out.fileHandleForReading.readDataToEndOfFile() }
        return String(decoding: data, as: UTF8.self)
    }

    /// `text` as one single-quoted word for /bin/sh.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension CLI {
    /// Longer than any run in the suite takes, by far (the slowest take a few seconds).
    static let timeLimit: TimeInterval = 60

    /// Does `reading` (drain the child's output; its end comes when the child exits) and waits for `process`
    /// to exit. A child still running after `limit` seconds is killed and the test fails, naming the command:
    /// a hung run must not hang the whole suite.
    @discardableResult
    static func awaitExit<T>(_ process: Process, limit: TimeInterval = timeLimit,
                             sourceLocation: SourceLocation = #_sourceLocation,
                             reading: () throws -> T) rethrows -> T {
        let watchdog = Watchdog(pid: process.processIdentifier)
        DispatchQueue.global().asyncAfter(deadline: .now() + limit) { [weak watchdog] in watchdog?.expire() }
        defer {
            process.waitUntilExit()
            if watchdog.settle() {
                let command = ([process.executableURL?.path ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
                Issue.record("killed after \(Int(limit)) s: \(command)", sourceLocation: sourceLocation)
            }
        }
        return try reading()
    }

    /// `awaitExit` for a child whose output goes elsewhere.
    static func awaitExit(_ process: Process, limit: TimeInterval = timeLimit,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        awaitExit(process, limit: limit, sourceLocation: sourceLocation) {}
    }

    /// Kills a child that is still running when its time is up.
    private final class Watchdog: @unchecked Sendable {
        // @unchecked: `exited` and `killed` are touched only under `lock`; `pid` is immutable.
        private let lock = NSLock()
        private var exited = false
        private var killed = false
        private let pid: pid_t

        init(pid: pid_t) { self.pid = pid }

        func expire() {
            lock.withLock {
                guard !exited else { return }
                killed = true
                // A shell's pipeline holds the output pipe too: its stages go first, or reading never ends.
                for child in Self.descendants(of: pid) { kill(child, SIGKILL) }
                kill(pid, SIGKILL)
            }
        }

        /// The processes below `pid`, from the parent ids in /proc (empty where there is no /proc).
        static func descendants(of pid: pid_t) -> [pid_t] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            var parents: [pid_t: [pid_t]] = [:]
            for name in names {
                guard let child = pid_t(name),
                      let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { continue }
                // After "pid (command) state": the parent id; the command may itself hold spaces and parentheses.
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, let parent = pid_t(fields[1]) { parents[parent, default: []].append(child) }
            }
            var found: [pid_t] = [], queue = [pid]
            while let next = queue.popLast() {
                let children = parents[next] ?? []
                found += children
                queue += children
            }
            return found
        }

        /// Marks the child as exited (no kill after this); whether it was killed.
        func settle() -> Bool {
            lock.withLock {
                exited = true
                return killed
            }
        }
    }
}

extension Dictionary where Key == String, Value == Any {
    subscript(int key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    subscript(object key: String) -> [String: Any]? { self[key] as? [String: Any] }
    subscript(array key: String) -> [[String: Any]]? { self[key] as? [[String: Any]] }
}
