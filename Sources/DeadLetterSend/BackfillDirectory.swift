import DeadLetterBackfill
import DeadLetterBytes
import Foundation

/// A `backfill` output directory read back for `send`: its manifest (target, options, files with their
/// SHA-256) and each file's items. Every file is checked against the manifest's digest first: a file cut
/// short or edited by hand is refused rather than half sent.
public struct BackfillDirectory: Sendable {
    /// One file of the directory. Its items are read when they are sent, not kept: memory stays flat
    /// whatever the directory's size.
    public struct File: Sendable {
        public var name: String
        /// The text before the first item and after the last, kept to write dead letters in the same form.
        public var header: [UInt8]
        public var footer: [UInt8]
        /// What goes between two items: `,\n` in a JSON envelope, nothing where each item ends its own lines.
        public var separator: [UInt8]
        public var itemCount: Int

        /// An item's id in the journal and in the dead letters' `rejects.ndjson`: `FILE:INDEX`.
        public func itemID(_ index: Int) -> String { "\(name):\(index)" }
        /// Where it is and the SHA-256 it must still have when its items are read; nil for items in memory.
        var path: String?
        var sha256: String?
        private var inMemory: [[UInt8]]?

        /// A file whose items are given (tests).
        public init(name: String, header: [UInt8], footer: [UInt8], separator: [UInt8] = Array(",\n".utf8), items: [[UInt8]]) {
            self.name = name
            self.header = header
            self.footer = footer
            self.separator = separator
            itemCount = items.count
            inMemory = items
        }

        init(name: String, path: String, sha256: String, layout: Layout, split: File) {
            self = split
            self.name = name
            self.path = path
            self.sha256 = sha256
            self.layout = layout
            inMemory = nil
        }
        private var layout = Layout.envelope

        /// Each item's JSON text, as `backfill` wrote it (one line each); the file is checked against the
        /// manifest's SHA-256 again, so a file changed during the run is refused, not half sent.
        public func items() throws(Unreadable) -> [[UInt8]] {
            if let inMemory { return inMemory }
            guard let path, let sha256 else { return [] }
            let bytes = try BackfillDirectory.contents(path, sha256: sha256)
            return try BackfillDirectory.split(bytes, name: path, layout: layout).inMemory ?? []
        }
    }

    /// How a target's files hold their items.
    public enum Layout: Sendable {
        /// A header line, items one a line joined by `,\n`, a footer line (Firehose, EventBridge, HTTP endpoint).
        case envelope
        /// JSON values back to back, `valuesPerItem` to an item (a HEC event; an OpenSearch action and its
        /// document), nothing around them. Values, not lines: a HEC event passed through may span lines.
        case values(perItem: Int)
        /// Files of a target no API takes (raw lines, Snowflake rows, Redshift's COPY): never split, so that
        /// `send` says what to do with them instead of failing on a form they were never meant to have.
        case notSent

        public static func of(target: String) -> Layout {
            switch target {
            case "opensearch": return .values(perItem: 2)
            case "splunk-hec": return .values(perItem: 1)
            case "raw", "snowflake", "redshift": return .notSent
            default: return .envelope
            }
        }
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
    /// Items of a `send-failed/` whose earlier call's answer was lost (`mayHaveArrived` in its
    /// rejects.ndjson): delivered now, they may be there twice.
    public var mayHaveArrived: Set<String> = []

    public var itemCount: Int { files.reduce(0) { $0 + $1.itemCount } }

    public struct Unreadable: Error, Sendable { public var message: String }

    /// The folders of a backfill split into parts (`--split-by`), in the manifest's order; nil for a
    /// directory that is not split. Names that are not one plain folder are left out: a manifest is data.
    public static func parts(_ path: String) -> (by: String, parts: [String])? {
        guard let data = FileManager.default.contents(atPath: path + "/manifest.json"), let manifest = JSONValue.parse(Array(data)),
              manifest["schema"]?.string == "deadletter.backfill/1", let parts = manifest["parts"]?.array else { return nil }
        return (manifest["splitBy"]?.string ?? "",
                parts.compactMap { $0["directory"]?.string }.filter { !$0.isEmpty && !$0.contains("/") && !$0.hasPrefix(".") })
    }

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
            let filePath = path + "/" + name
            let bytes = try contents(filePath, sha256: sha)
            let layout = Layout.of(target: target)
            directory.files.append(File(name: name, path: filePath, sha256: sha, layout: layout, split: try split(bytes, name: filePath, layout: layout)))
        }
        if manifest["source"]?.string == "send-failed", let rejects = FileManager.default.contents(atPath: path + "/rejects.ndjson") {
            for line in rejects.split(separator: UInt8(ascii: "\n")) {
                guard let reject = JSONValue.parse(Array(line)), reject["mayHaveArrived"]?.bool == true, let at = reject["at"]?.string else { continue }
                directory.mayHaveArrived.insert(at)
            }
        }
        return directory
    }

    static func contents(_ path: String, sha256: String) throws(Unreadable) -> [UInt8] {
        guard let bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw Unreadable(message: "\(path): listed in manifest.json but cannot be read")
        }
        guard bytes.withUnsafeBufferPointer({ Digest.sha256Hex($0) }) == sha256 else {
            throw Unreadable(message: "\(path): its SHA-256 differs from manifest.json (cut short or edited?); not sent")
        }
        return bytes
    }

    static func split(_ bytes: [UInt8], name: String, layout: Layout) throws(Unreadable) -> File {
        let fileName = String(name.split(separator: "/").last ?? "")
        switch layout {
        case .notSent:
            return File(name: fileName, header: [], footer: [], separator: [], items: [])
        case .envelope:
            // A header line, items one a line joined by `,\n`, a footer line: the form `backfill` writes JSON files in.
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Array($0) }
            if lines.last == [] { lines.removeLast() }
            guard lines.count >= 2 else { throw Unreadable(message: "\(name): not a file backfill writes (no items)") }
            let header = lines.removeFirst() + [UInt8(ascii: "\n")]
            let footer = [UInt8(ascii: "\n")] + lines.removeLast() + [UInt8(ascii: "\n")]
            let items = lines.enumerated().map { i, line in i < lines.count - 1 && line.last == UInt8(ascii: ",") ? Array(line.dropLast()) : line }
            return File(name: fileName, header: header, footer: footer, items: items)
        case .values(let perItem):
            guard let values = JSONText.values(bytes), !values.isEmpty, values.count % perItem == 0 else {
                throw Unreadable(message: "\(name): not a file backfill writes (JSON values, \(perItem) to an item)")
            }
            var items: [[UInt8]] = []
            items.reserveCapacity(values.count / perItem)
            var item: [UInt8] = []
            for (i, value) in values.enumerated() {
                item += value
                item.append(UInt8(ascii: "\n"))
                if (i + 1) % perItem == 0 {
                    items.append(item)
                    item = []
                }
            }
            return File(name: fileName, header: [], footer: [], separator: [], items: items)
        }
    }
}
