import DeadLetterBackfill
import DeadLetterBytes

/// `DIR/send-failed/`: the items given up, as a backfill directory of the same target (the same file form,
/// a manifest one generation on, `rejects.ndjson` with each item's last error and attempts), so
/// `deadletter send DIR/send-failed` tries them again later. Written whole or not at all (OutputDirectory).
enum DeadLetters {
    /// Beyond this many generations `send` refuses: the same items failing over and over need a person.
    static let maxGeneration = 5

    static func write(_ letters: [String: SendJournal.DeadLetter], of directory: BackfillDirectory) throws(BackfillFailure) -> String? {
        guard !letters.isEmpty else { return nil }
        let destination = directory.path + "/send-failed"
        let output = try OutputDirectory(destination: destination, force: true)
        var entries: [String] = []
        var rejects: [String] = []
        var fileNumber = 0
        var total = 0
        do throws(BackfillFailure) {
            for file in directory.files {
                let failed = (0..<file.itemCount).filter { letters["\(file.name):\($0)"] != nil }
                guard !failed.isEmpty else { continue }
                let items: [[UInt8]]
                do { items = try file.items() } catch { throw BackfillFailure.io(error.message) }
                fileNumber += 1
                var bytes = file.header
                for (n, i) in failed.enumerated() {
                    if n > 0 { bytes += Array(",\n".utf8) }
                    bytes += items[i]
                }
                bytes += file.footer
                try output.write(name: file.name, bytes: bytes)
                let sha = bytes.withUnsafeBufferPointer { Digest.sha256Hex($0) }
                entries.append("    {\"name\": \(JSONOutput.quote(file.name)), \"items\": \(failed.count), \"bytes\": \(bytes.count), \"sha256\": \"\(sha)\"}")
                total += failed.count
                for i in failed {
                    let id = "\(file.name):\(i)"
                    let letter = letters[id]!
                    rejects.append("{\"item\":\(JSONOutput.quote(id)),\"code\":\(JSONOutput.quote(letter.code)),\"message\":\(JSONOutput.quote(letter.message)),\"attempts\":\(letter.attempts)}")
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
