import DeadLetterBytes
/// What a Firehose object key says: `<prefix><type>/YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-mm-ss-<uuid><ext>`.
/// Parsed by hand from the right, because stream names contain dashes and the version may be missing
/// (Redshift manifests have none).
public struct ObjectKey: Sendable, Equatable {
    public var stream: String?
    public var version: Int?
    /// The time in the object name (UTC, Firehose's default time zone), epoch milliseconds.
    public var timestampMillis: Int64?
    /// The folders before the `YYYY/MM/DD/HH` date folders: the evaluated error prefix, e.g. `myapp/splunk-failed/`.
    public var prefix: String?
    /// The start of the hour the `YYYY/MM/DD/HH` folders name (UTC, Firehose's default time zone), epoch
    /// milliseconds: hour-precise, for objects whose name carries no time.
    public var folderHourMillis: Int64?

    public init(_ key: String) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        if let name = parts.last { Self.parseName(Substring(name), into: &self) }
        (prefix, folderHourMillis) = Self.dateFolders(parts.dropLast())
    }

    private static func parseName(_ name: Substring, into key: inout ObjectKey) {
        let bytes = Array(name.utf8)
        // Find `-<timestamp 19>-<uuid 36>` followed by an optional extension.
        let uuidLength = 36, stampLength = 19
        var search = bytes.count - uuidLength
        while search >= stampLength + 2 {
            if isUUID(bytes, at: search), bytes[search - 1] == UInt8(ascii: "-"),
               let millis = parseStamp(bytes, at: search - 1 - stampLength),
               search - 2 - stampLength >= 1, bytes[search - 2 - stampLength] == UInt8(ascii: "-"),
               search + uuidLength == bytes.count || bytes[search + uuidLength] == UInt8(ascii: ".") {
                key.timestampMillis = millis
                var head = Array(bytes[0..<(search - 2 - stampLength)])
                // An optional `-<version>` ends the head.
                if let dash = head.lastIndex(of: UInt8(ascii: "-")), dash > 0, dash < head.count - 1,
                   head[(dash + 1)...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), head.count - dash - 1 <= 9 {
                    key.version = Int(String(decoding: head[(dash + 1)...], as: UTF8.self))
                    head.removeSubrange(dash...)
                }
                key.stream = String(decoding: head, as: UTF8.self)
                return
            }
            search -= 1
        }
    }

    private static func isUUID(_ b: [UInt8], at start: Int) -> Bool {
        guard start >= 0, start + 36 <= b.count else { return false }
        for k in 0..<36 {
            let c = b[start + k]
            if k == 8 || k == 13 || k == 18 || k == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)) {
                return false
            }
        }
        return true
    }

    /// `YYYY-MM-DD-HH-mm-ss` at `start`.
    private static func parseStamp(_ b: [UInt8], at start: Int) -> Int64? {
        guard start >= 0, start + 19 <= b.count else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            var value = 0
            for k in from..<(from + count) {
                let c = b[start + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
            }
            return value
        }
        for dash in [4, 7, 10, 13, 16] where b[start + dash] != UInt8(ascii: "-") { return nil }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        return UTCTime.millis(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// Everything before the first run of date folders `YYYY/MM/DD`, and the hour those folders and the
    /// `HH` folder after them name, if they name one that exists. Firehose may glue the date to a prefix
    /// without a `/` (`legacy2026/07/13/14/`), so a folder that ends in four digits also starts it.
    private static func dateFolders(_ folders: ArraySlice<Substring>) -> (prefix: String?, hour: Int64?) {
        let list = Array(folders)
        func isDigits(_ s: Substring, _ count: Int) -> Bool { s.utf8.count == count && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        for i in list.indices where i + 2 < list.count && isDigits(list[i + 1], 2) && isDigits(list[i + 2], 2) {
            let folder = list[i]
            let tail = folder.utf8.suffix(4)
            guard tail.count == 4, tail.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { continue }
            let head = folder.dropLast(4)
            let before = list[..<i].map(String.init)
            let text = (before + [String(head)]).joined(separator: "/")
            var hour: Int64?
            if i + 3 < list.count, isDigits(list[i + 3], 2), let y = Int(String(folder.suffix(4))),
               let m = Int(list[i + 1]), let d = Int(list[i + 2]), let h = Int(list[i + 3]) {
                hour = UTCTime.millis(year: y, month: m, day: d, hour: h)
            }
            return (text.isEmpty ? nil : text, hour)
        }
        guard !list.isEmpty else { return (nil, nil) }
        return (list.map(String.init).joined(separator: "/") + "/", nil)
    }
}
