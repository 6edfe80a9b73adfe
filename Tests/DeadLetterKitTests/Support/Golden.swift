import Foundation
import Testing

/// One folder of Fixtures/golden/cases: a run of the built binary and the outputs it must give byte for byte.
/// The layout and the way a case runs are described in Fixtures/golden/README.md; scripts/golden --update
/// writes `expected/` the same way (keep the two in step).
struct GoldenCase: Sendable, CustomStringConvertible {
    static let root = CLI.packageRoot.appendingPathComponent("Tests/DeadLetterKitTests/Fixtures/golden")
    static let corpus = root.appendingPathComponent("corpus")
    /// Where a mismatching run is kept for a person to diff against `expected/`.
    static let actualRoot = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-golden-actual")
    /// The working directory's links to the inputs: outputs name `samples/...`, `corpus/...` and `inputs/...`,
    /// never a temp path.
    static let inputLinks = ["samples": CLI.packageRoot.appendingPathComponent("samples"), "corpus": corpus,
                             "inputs": root.appendingPathComponent("inputs")]
    static let baseEnvironment = ["COLUMNS": "100", "TZ": "UTC", "LC_ALL": "C"]

    let name: String
    var description: String { name }
    var folder: URL { Self.root.appendingPathComponent("cases").appendingPathComponent(name) }
    var expectedFolder: URL { folder.appendingPathComponent("expected") }

    /// Every case folder, by name; empty when the folder cannot be read (a test checks there are cases).
    static var all: [GoldenCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("cases").path)) ?? []
        return names.sorted().map(GoldenCase.init(name:))
    }

    /// The lines of `file` in the case folder (one argument or KEY=VALUE each); nil when there is no such file.
    func lines(of file: String) throws -> [String]? {
        let url = folder.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        var lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    var arguments: [String] { get throws { try lines(of: "args") ?? [] } }

    /// What one run produced: the same shape as `expected/`.
    struct Outputs {
        var status: Data
        var stdout: Data
        var stderr: Data
        /// Relative path -> contents, for every file the run left in its working directory.
        var files: [String: Data]
    }

    func run() throws -> Outputs {
        let work = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        for (name, target) in Self.inputLinks {
            try FileManager.default.createSymbolicLink(at: work.appendingPathComponent(name), withDestinationURL: target)
        }
        var environment = Self.baseEnvironment
        for line in try lines(of: "env") ?? [] {
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let stdin = try lines(of: "stdin")?.first.map { try Data(contentsOf: work.appendingPathComponent($0)) } ?? Data()
        let result = try CLI.runCapturingBytes(try arguments, stdin: stdin, environment: environment, cwd: work)
        let written = try Self.regularFiles(under: work, skipping: Set(Self.inputLinks.keys))
        return Outputs(status: Data("\(result.status)\n".utf8), stdout: result.stdout, stderr: result.stderr, files: written)
    }

    func expected() throws -> Outputs {
        let files = expectedFolder.appendingPathComponent("files")
        return Outputs(status: try Data(contentsOf: expectedFolder.appendingPathComponent("status")),
                       stdout: try Data(contentsOf: expectedFolder.appendingPathComponent("stdout")),
                       stderr: try Data(contentsOf: expectedFolder.appendingPathComponent("stderr")),
                       files: FileManager.default.fileExists(atPath: files.path) ? try Self.regularFiles(under: files) : [:])
    }

    /// Writes `outputs` in the layout of `expected/`, for `diff -r`; returns the folder.
    func keep(_ outputs: Outputs) throws -> URL {
        let folder = Self.actualRoot.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try outputs.status.write(to: folder.appendingPathComponent("status"))
        try outputs.stdout.write(to: folder.appendingPathComponent("stdout"))
        try outputs.stderr.write(to: folder.appendingPathComponent("stderr"))
        for (path, contents) in outputs.files {
            let url = folder.appendingPathComponent("files").appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: url)
        }
        return folder
    }

    /// Regular files under `directory` by path relative to it, not looking into the top-level entries `skipping`.
    static func regularFiles(under directory: URL, skipping: Set<String> = []) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = directory.standardizedFileURL.path + "/"
        for entry in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !skipping.contains(entry) {
            let url = directory.appendingPathComponent(entry)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            let candidates: [URL]
            if isDirectory.boolValue {
                let walk = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey])
                candidates = (walk?.allObjects as? [URL]) ?? []
            } else {
                candidates = [url]
            }
            for file in candidates where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                let path = file.standardizedFileURL.path
                files[path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path] = try Data(contentsOf: file)
            }
        }
        return files
    }

    /// Where `actual` first differs from `expected`: the line number and both lines, shown with control
    /// characters escaped; nil when they are equal.
    static func firstDifference(expected: Data, actual: Data) -> String? {
        guard expected != actual else { return nil }
        let expectedLines = expected.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let actualLines = actual.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var index = 0
        while index < expectedLines.count, index < actualLines.count, expectedLines[index] == actualLines[index] { index += 1 }
        func show(_ lines: [Data], _ index: Int) -> String {
            guard index < lines.count else { return "(end of output)" }
            let text = String(decoding: lines[index].prefix(300), as: UTF8.self)
            return text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
        }
        return "line \(index + 1)\n  expected: \(show(expectedLines, index))\n  actual:   \(show(actualLines, index))"
    }
}
