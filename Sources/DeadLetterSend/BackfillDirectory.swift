import DeadLetterBackfill
import DeadLetterBytes
import Foundation

/// A `backfill` output directory read back for `send`: its manifest (target, options, files with their
/// SHA-256) and each file's items. Every file is checked against the manifest's digest first: a file cut
/// short or edited by hand is refused rather than half sent.
public struct BackfillDirectory: Sendable {
    public struct File: Sendable {
        public var name: String
        /// The text before the first item and after the last, kept to write dead letters in the same form.
        public var header: [UInt8]
        public var footer: [UInt8]
        /// Each item's JSON text, as `backfill` wrote it (one line each).
        public var items: [[UInt8]]
    }

    public var path: String
    public var target: String
    /// The manifest's `options` as JSON text (`{"stream": ...}`), carried into the dead letters' manifest.
    public var optionsJSON: String
    public var stream: String?
    public var eventBus: String?
    /// 0 for `backfill`'s own output; each `send-failed/` one more.
    public var generation: Int
    public var files: [File]

    public var itemCount: Int { files.reduce(0) { $0 + $1.items.count } }

    public struct Unreadable: Error, Sendable { public var message: String }

    public static func read(_ path: String) throws(Unreadable) -> BackfillDirectory {
        let manifestPath = path + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw Unreadable(message: "\(path): no manifest.json: not a backfill output directory (write one with `deadletter backfill ... --out \(path)`)")
        }
        guard let manifest = JSONValue.parse(Array(data)), manifest["schema"]?.string == "deadletter.backfill/1",
              let target = manifest["target"]?.string, let files = manifest["files"]?.array else {
            throw Unreadable(message: "\(manifestPath): not a deadletter.backfill/1 manifest")
        }
        let options = manifest["options"]
        var directory = BackfillDirectory(path: path, target: target, optionsJSON: "{}", stream: options?["stream"]?.string,
                                          eventBus: options?["eventBus"]?.string, generation: manifest["generation"]?.int ?? 0, files: [])
        if let raw = (options?.value).flatMap({ try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }) {
            directory.optionsJSON = String(decoding: raw, as: UTF8.self)
        }
        for file in files {
            guard let name = file["name"]?.string, !name.contains("/"), name != "..", let sha = file["sha256"]?.string else {
                throw Unreadable(message: "\(manifestPath): a file entry without a plain name and sha256")
            }
            guard let bytes = FileManager.default.contents(atPath: path + "/" + name).map(Array.init) else {
                throw Unreadable(message: "\(path)/\(name): listed in manifest.json but cannot be read")
            }
            guard bytes.withUnsafeBufferPointer({ Digest.sha256Hex($0) }) == sha else {
                throw Unreadable(message: "\(path)/\(name): its SHA-256 differs from manifest.json (cut short or edited?); not sent")
            }
            directory.files.append(try split(bytes, name: "\(path)/\(name)"))
        }
        return directory
    }

    /// `header` line, items one a line joined by `,\n`, `footer` line: the form `backfill` writes JSON files in.
    static func split(_ bytes: [UInt8], name: String) throws(Unreadable) -> File {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
        if lines.last == [] { lines.removeLast() }
        guard lines.count >= 2 else { throw Unreadable(message: "\(name): not a file backfill writes (no items)") }
        let header = lines.removeFirst() + [UInt8(ascii: "\n")]
        let footer = [UInt8(ascii: "\n")] + lines.removeLast() + [UInt8(ascii: "\n")]
        let items = lines.enumerated().map { i, line in i < lines.count - 1 && line.last == UInt8(ascii: ",") ? Array(line.dropLast()) : line }
        return File(name: String(name.split(separator: "/").last ?? ""), header: header, footer: footer, items: items)
    }
}
