import DeadLetterBackfill
import DeadLetterBytes
import Foundation

/// `DIR/send-failed/`: the items given up, as a backfill directory of the same target (the same file form,
/// a manifest one generation on, `rejects.ndjson` with each item's last error and attempts), so
/// `deadletter send DIR/send-failed` tries them again later. Written whole or not at all (OutputDirectory).
enum DeadLetters {
    /// Beyond this many generations `send` refuses: the same items failing over and over need a person.
    static let maxGeneration = 5

    /// Where this run's dead letters go. `send-failed/` holds all of them while it has not been sent; once it
    /// has (it holds a journal of its own), it is never replaced: the letters no `send-failed*/` holds yet go
    /// to the next free `send-failed-N/`, so nothing it delivered is sent again. Which letters are held is read
    /// from the directories' rejects.ndjson, not from the journal: a run stopped after journaling its dead
    /// letters and before writing them leaves them to the next run. nil: nothing to write and none written.
    static func write(_ letters: [String: SendJournal.DeadLetter], of directory: BackfillDirectory)
        throws(BackfillFailure) -> String? {
        let first = directory.path + "/send-failed"
        let firstExists = FileManager.default.fileExists(atPath: first + "/manifest.json")
        if !firstExists || !FileManager.default.fileExists(atPath: first + "/send-journal.ndjson") {
            return try write(letters, to: first, of: directory) ?? (firstExists ? first : nil)
        }
        var held = items(in: first)
        var n = 2
        while FileManager.default.fileExists(atPath: "\(first)-\(n)") {
            held.formUnion(items(in: "\(first)-\(n)"))
            n += 1
        }
        let new = letters.filter { !held.contains($0.key) }
        guard !new.isEmpty else { return first }
        return try write(new, to: "\(first)-\(n)", of: directory)
    }

    /// The items (their ids in the directory sent) a dead-letter directory holds, from its rejects.ndjson.
    private static func items(in path: String) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path + "/rejects.ndjson") else { return [] }
        return Set(data.split(separator: UInt8(ascii: "\n")).compactMap { JSONValue.parse(Array($0))?["item"]?.string })
    }

    private static func write(_ letters: [String: SendJournal.DeadLetter], to destination: String, of directory: BackfillDirectory)
        throws(BackfillFailure) -> String? {
        guard !letters.isEmpty else { return nil }
        let output = try OutputDirectory(destination: destination, force: true)
        var entries: [String] = []
        var rejects: [String] = []
        var fileNumber = 0
        var total = 0
        do throws(BackfillFailure) {
            for file in directory.files {
                let failed = (0..<file.itemCount).filter { letters[file.itemID($0)] != nil }
                guard !failed.isEmpty else { continue }
                let items: [[UInt8]]
                do { items = try file.items() } catch { throw BackfillFailure.io(error.message) }
                fileNumber += 1
                var bytes = file.header
                for (n, i) in failed.enumerated() {
                    if n > 0 { bytes += file.separator }
                    bytes += items[i]
                }
                bytes += file.footer
                try output.write(name: file.name, bytes: bytes)
                let sha = bytes.withUnsafeBufferPointer { Digest.sha256Hex($0) }
                entries.append("    {\"name\": \(JSONOutput.quote(file.name)), \"items\": \(failed.count), \"bytes\": \(bytes.count), \"sha256\": \"\(sha)\"}")
                total += failed.count
                for (n, i) in failed.enumerated() {
                    let id = file.itemID(i)
                    let letter = letters[id]!
                    // A call's answer was lost: the service may have it already, and sending it again may duplicate it.
                    let uncertain = letter.mayHaveArrived
                    rejects.append("{\"item\":\(JSONOutput.quote(id)),\"at\":\(JSONOutput.quote(file.itemID(n))),\"code\":\(JSONOutput.quote(letter.code)),\"message\":\(JSONOutput.quote(letter.message)),\"attempts\":\(letter.attempts),\"mayHaveArrived\":\(uncertain)}")
                }
            }
            let manifest = """
            {
              "schema": "deadletter.backfill/1",
              "target": \(JSONOutput.quote(directory.target)),
              "options": \(directory.optionsJSON),
              "generation": \(directory.generation + 1),
              "source": "send-failed",
              "totals": {"items": \(total), "files": \(fileNumber)},
              "files": [
            \(entries.joined(separator: ",\n"))
              ],
              "rejects": {"file": "rejects.ndjson"}
            }

            """
            try output.write(name: "rejects.ndjson", bytes: Array((rejects.joined(separator: "\n") + "\n").utf8))
            try output.write(name: "manifest.json", bytes: Array(manifest.utf8))
            try output.commit()
        } catch {
            output.abandon()
            throw error
        }
        return destination
    }
}
