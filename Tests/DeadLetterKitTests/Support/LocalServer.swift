import Foundation
import Testing

/// A server a test starts on 127.0.0.1 and stops when the value goes away: moto's server, or one of the
/// stubs under scripts/stubs. The script binds port 0 and prints `PORT <n>` on its first stdout line, so
/// parallel tests never race for a port. Its stderr goes to a file, shown if it fails to start.
final class LocalServer: @unchecked Sendable {
    struct StartFailed: Error, CustomStringConvertible {
        var description: String
    }

    let process: Process
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    private let logURL: URL

    /// `arguments`: the command (`python3 scripts/stubs/x.py ...`), run from the package root.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = CLI.packageRoot
        var env = ProcessInfo.processInfo.environment
        for name in env.keys where name.hasPrefix("AWS_") { env.removeValue(forKey: name) }
        env["PYTHONUNBUFFERED"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-server-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: logURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        // The first line, read byte by byte so nothing after it is swallowed; 30 s at most.
        let handle = out.fileHandleForReading
        let deadline = Date().addingTimeInterval(30)
        var line: [UInt8] = []
        let reader = Thread {}
        _ = reader
        var found: Int?
        while Date() < deadline {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte.first == UInt8(ascii: "\n") {
                let text = String(decoding: line, as: UTF8.self)
                if text.hasPrefix("PORT "), let p = Int(text.dropFirst(5)) { found = p; break }
                line.removeAll()
            } else {
                line.append(contentsOf: byte)
            }
        }
        guard let found else {
            process.terminate()
            process.waitUntilExit()
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: logURL)
            throw StartFailed(description: "\(arguments.joined(separator: " ")) did not print its port: \(log)")
        }
        port = found
        // Keep draining stdout so a chatty server never blocks on a full pipe.
        Thread.detachNewThread { while !handle.readData(ofLength: 65536).isEmpty {} }
    }

    /// A stub's `/__stats` JSON, read with Python's urllib (a client independent of the code under test).
    func stats(sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "-c",
            "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())", url + "/__stats"])
        #expect(status == 0, "\(output)", sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
    }

    /// What the server wrote on stderr so far.
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }

    /// moto's server on a free port. Throws (the test fails) when moto is missing: .ci/run installs it.
    static func moto() throws -> LocalServer {
        try LocalServer(["python3", "scripts/stubs/moto-server.py"])
    }
}
