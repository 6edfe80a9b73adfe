import DeadLetterBytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A complete top-level JSON object, borrowed from the reader's buffer for the duration of a callback.
public struct ObjectFrame {
    public let base: UnsafePointer<UInt8>
    public let start: Int
    public let end: Int
    public let members: [ScannedMember]
    /// 1-based line on which the object starts.
    public let line: Int
    /// Another object ended earlier on the same line: if this one is no record, it is that line's trailing junk.
    public var followsObject = false

    public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base + start, count: end - start) }

    @inline(__always)
    public func slice(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + from, count: to - from)
    }
}

/// What the frame reader found in the byte stream.
public enum FrameEvent {
    case object(ObjectFrame)
    /// A line or object that is not JSON (or not an object); `line` is where it starts. `trailing`: it
    /// follows a JSON object on the same line (`{…},`, `{…} x`), so the line is counted once, as the
    /// object's, and the rest of it as trailing junk.
    case malformed(line: Int, reason: String, trailing: Bool)
}

/// Splits a decoded byte stream into top-level JSON objects: one per line, back to back, or the
/// elements of a top-level array; tolerates a UTF-8 BOM and CRLF. Every line is accounted for:
/// it holds an object, is part of a malformed unit, or is blank.
///
/// Memory stays bounded: the buffer holds at most one object (capped by `maxRecordBytes`) plus one read;
/// junk lines are skipped while streaming, without being buffered.
public final class FrameReader {
    private let source: ByteSource
    private let maxRecordBytes: Int
    private let readChunk: Int
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var pos = 0
    private var end = 0
    private var eof = false
    private var sourceError: InputError?
    private var scanner = JSONScanner()
    private var members: [ScannedMember] = []

    /// Physical lines read (a last line without a newline counts too).
    public private(set) var lines = 0
    /// Lines holding nothing but whitespace (or a BOM), or only the brackets and commas of a top-level array.
    public private(set) var blankLines = 0
    private var lineNumber = 1
    private var lineHasContent = false
    /// The line holds (the start of) an object or a malformed unit: it is not blank. A line holding only the
    /// brackets and commas of a top-level array has content but no unit, and counts as blank, so every line
    /// is a record, a malformed unit or blank, in arrays too.
    private var lineHasUnit = false
    private var lineHasBytes = false
    /// A JSON object ended on this line: what follows it on the line is trailing junk.
    private var lineHasObject = false
    private var inTopLevelArray = false
    private var stopped = false
    /// Whitespace bytes read on this line; before its first content, the indentation of that content.
    private var lineIndent = 0

    public init(source: ByteSource, maxRecordBytes: Int = 16 << 20, readChunk: Int = 256 << 10) {
        self.source = source
        self.maxRecordBytes = max(maxRecordBytes, 1)
        self.readChunk = readChunk
        self.capacity = readChunk
        self.storage = .allocate(capacity: readChunk)
        members.reserveCapacity(32)
    }

    deinit { storage.deallocate() }

    /// Reads to the end, calling `emit` for each object and malformed unit.
    /// An input error (truncated gzip, read failure) is thrown after everything before it was emitted.
    /// `emit` returns false to stop reading (the consumer's output was closed).
    public func run(_ consumer: (FrameEvent) -> Bool) throws(InputError) {
        func emit(_ event: FrameEvent) {
            if !consumer(event) { stopped = true }
        }
        while !stopped {
            if pos >= end {
                if eof { break }
                pos = 0
                end = 0
                fill()
                continue
            }
            let c = storage[pos]
            switch c {
            case 0x0A:
                endLine()
                pos += 1
            case 0x20, 0x09, 0x0D:
                lineHasBytes = true
                lineIndent += 1
                pos += 1
            case 0xEF where !lineHasContent:
                if ensureAvailable(3), storage[pos + 1] == 0xBB, storage[pos + 2] == 0xBF {
                    lineHasBytes = true
                    pos += 3
                } else {
                    skipJunkLine(emit, reason: "not JSON")
                }
            case UInt8(ascii: "{"):
                scanValueFrame(emit, expectObject: true)
            case UInt8(ascii: "[") where inTopLevelArray && !lineHasContent:
                // A new array starts on a new line while the last one was never closed.
                emit(.malformed(line: lineNumber, reason: "a JSON array was not closed before this line", trailing: lineHasObject))
                lineHasUnit = true
                inTopLevelArray = false
            case UInt8(ascii: "[") where !inTopLevelArray:
                // An array of records is framed element by element; any other array (`[1,2,3]`) is one
                // malformed line, like any other JSON value that is not an object.
                if arrayHoldsObjects() {
                    inTopLevelArray = true
                    markContent(unit: false)
                    pos += 1
                } else {
                    skipJunkLine(emit, reason: "JSON array of values that are not objects")
                }
            case UInt8(ascii: ",") where inTopLevelArray:
                markContent(unit: false)
                pos += 1
            case UInt8(ascii: "]") where inTopLevelArray:
                inTopLevelArray = false
                markContent(unit: false)
                pos += 1
            default:
                if inTopLevelArray {
                    scanValueFrame(emit, expectObject: false)
                } else {
                    let looksLikeJSONScalar = c == UInt8(ascii: "\"") || c == UInt8(ascii: "-")
                        || (c >= 0x30 && c <= 0x39) || startsWithLiteral()
                    skipJunkLine(emit, reason: looksLikeJSONScalar ? "not a JSON object" : "not JSON")
                }
            }
        }
        if stopped { return }
        if inTopLevelArray {
            emit(.malformed(line: lineNumber, reason: "the input ended inside a JSON array", trailing: false))
            lineHasUnit = true
        }
        if lineHasBytes || lineHasContent {
            lines += 1
            if !lineHasUnit { blankLines += 1 }
        }
        if let error = sourceError { throw error }
    }

    @inline(__always) private func markContent(unit: Bool = true) {
        if unit { lineHasUnit = true }
        lineHasContent = true
        lineHasBytes = true
    }

    @inline(__always) private func endLine() {
        lines += 1
        if !lineHasUnit { blankLines += 1 }
        lineNumber += 1
        lineHasUnit = false
        lineHasContent = false
        lineHasBytes = false
        lineHasObject = false
        lineIndent = 0
    }

    /// Reads once into the free tail of the buffer; a read error ends the input and is rethrown at the end.
    private func fill() {
        guard !eof else { return }
        if end == capacity { return }
        do {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end))
            if n == 0 { eof = true } else { end += n }
        } catch {
            sourceError = error
            eof = true
        }
    }

    /// Makes `count` bytes from `pos` available if the input has them.
    private func ensureAvailable(_ count: Int) -> Bool {
        while end - pos < count && !eof {
            compact()
            fill()
        }
        return end - pos >= count
    }

    private func compact() {
        if pos > 0 {
            let live = end - pos
            if live > 0 { (storage).update(from: storage + pos, count: live) }
            end = live
            pos = 0
        }
        if end == capacity {
            let newCapacity = capacity * 2
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: storage, count: end)
            storage.deallocate()
            storage = grown
            capacity = newCapacity
        }
    }

    /// Shrinks an oversized buffer back once a large object is done, so one huge record does not pin memory.
    private func shrinkIfIdle() {
        if capacity > readChunk * 4 && end - pos <= readChunk {
            let live = end - pos
            let small = UnsafeMutablePointer<UInt8>.allocate(capacity: readChunk)
            small.update(from: storage + pos, count: live)
            storage.deallocate()
            storage = small
            capacity = readChunk
            pos = 0
            end = live
        }
    }

    /// True if `true`, `false` or `null` starts at `pos`, so a line such as `this is not json` is "not JSON".
    private func startsWithLiteral() -> Bool {
        for word in ["true", "false", "null"] {
            let bytes = Array(word.utf8)
            if ensureAvailable(bytes.count), (0..<bytes.count).allSatisfy({ storage[pos + $0] == bytes[$0] }) { return true }
        }
        return false
    }

    /// Looks past the `[` at `pos` (and any whitespace, within one read) for the first element.
    private func arrayHoldsObjects() -> Bool {
        var offset = 1
        while offset < readChunk {
            guard ensureAvailable(offset + 1) else { return true }
            switch storage[pos + offset] {
            case 0x20, 0x09, 0x0D, 0x0A: offset += 1
            case UInt8(ascii: "{"), UInt8(ascii: "]"): return true
            default: return false
            }
        }
        return true
    }

    /// Skips to the end of the current line without buffering it (the newline itself is left for the main loop).
    private func skipJunkLine(_ emit: (FrameEvent) -> Void, reason: String) {
        emit(.malformed(line: lineNumber, reason: reason, trailing: lineHasObject))
        markContent()
        skipToNewline()
    }

    private func skipToNewline() {
        while true {
            if pos < end, let hit = memchr(storage + pos, 0x0A, end - pos) {
                pos = storage.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                return
            }
            pos = end
            if eof { return }
            pos = 0
            end = 0
            fill()
        }
    }

    private func scanValueFrame(_ emit: (FrameEvent) -> Void, expectObject: Bool) {
        var lastTriedLength = 0
        while true {
            let available = end - pos
            let outcome = scanner.scan(UnsafePointer(storage), start: pos, end: end, atEOF: eof, members: &members)
            switch outcome {
            case .complete(let valueEnd, let newlines):
                let line = lineNumber
                if valueEnd - pos > maxRecordBytes {
                    // The limit holds wherever the record falls in the buffer.
                    emit(.malformed(line: line, reason: "record larger than \(maxRecordBytes) bytes (--max-record-bytes)", trailing: false))
                } else if expectObject {
                    var frame = ObjectFrame(base: UnsafePointer(storage), start: pos, end: valueEnd, members: members, line: line)
                    frame.followsObject = lineHasObject
                    emit(.object(frame))
                } else {
                    emit(.malformed(line: line, reason: "array element is not a JSON object", trailing: false))
                }
                if newlines > 0 {
                    lines += newlines
                    lineNumber += newlines
                }
                if expectObject { lineHasObject = true }
                markContent()
                pos = valueEnd
                shrinkIfIdle()
                return
            case .incomplete:
                if available >= maxRecordBytes {
                    emit(.malformed(line: lineNumber, reason: "record larger than \(maxRecordBytes) bytes (--max-record-bytes); skipped to the end of its line", trailing: lineHasObject))
                    markContent()
                    skipToNewline()
                    shrinkIfIdle()
                    return
                }
                // Read until the pending value has at least doubled, so rescanning stays linear overall.
                lastTriedLength = available
                repeat {
                    compact()
                    fill()
                } while !eof && end - pos < min(max(lastTriedLength * 2, readChunk), maxRecordBytes)
                    && end < capacity
            case .invalid(let at, let reason):
                // A record cut short is usually followed by good ones: the malformed unit ends with the line it
                // started on, and every later line is framed again on its own (the scan may have read the next
                // record as the missing value). A pretty-printed object (`{` alone on its line) is one unit up
                // to its closing brace, when its lines show where that is.
                let line = lineNumber, trailing = lineHasObject
                var k = pos
                while k < at && storage[k] != 0x0A { k += 1 }
                if k < at, expectObject, !lineHasContent,
                   (pos + 1..<k).allSatisfy({ storage[$0] == 0x20 || storage[$0] == 0x09 || storage[$0] == 0x0D }) {
                    let firstLine = k - pos
                    // Where in the object the damage is (the unit is reported at its first line).
                    var errorLine = line
                    for b in UnsafeBufferPointer(start: storage + pos, count: at - pos) where b == 0x0A { errorLine += 1 }
                    let cutShort = eof && at >= end
                    if skipPrettyPrintedObject(firstLineEnd: firstLine) {
                        emit(.malformed(line: line, reason: cutShort ? reason : "\(reason) at line \(errorLine)", trailing: trailing))
                        markContent()
                        shrinkIfIdle()
                        return
                    }
                    // (The look ahead may have moved the buffer: `k` and `at` are stale, `pos` is not.)
                    emit(.malformed(line: line, reason: reason, trailing: trailing))
                    markContent()
                    pos += firstLine
                    shrinkIfIdle()
                    return
                }
                emit(.malformed(line: line, reason: reason, trailing: trailing))
                markContent()
                if k < at {
                    pos = k
                } else {
                    pos = at
                    skipToNewline()
                }
                shrinkIfIdle()
                return
            }
        }
    }
}

extension FrameReader {
    /// The object at `pos` opened with `{` alone on its line and is not valid JSON. Pretty-printers indent
    /// every member deeper than the braces and close the object with `}` at the brace's own indentation, so
    /// the object ends with the first later line that starts with `}` at that indentation; it runs to the end
    /// of the input if no line ends it (cut short). A line at that indentation or less that starts another
    /// value (`{`, `[`: a record on a line of its own, a second object) or closes something else (`]`, a `}`
    /// further left) means the lines do not show where the object ends: returns false and leaves `pos` on
    /// the object. Looks at most `maxRecordBytes` ahead.
    ///
    /// On success the lines up to the end are the object's (counted as lines, not blank, like a valid
    /// pretty-printed record's: one malformed unit for all of them) and `pos` is after the closing `}` (in
    /// an array) or at the end of its line.
    fileprivate func skipPrettyPrintedObject(firstLineEnd: Int) -> Bool {
        let indent = lineIndent
        var offset = firstLineEnd        // at a newline, relative to pos
        var newlines = 0
        var lastContentEnd = offset     // end of the last line with content (its newline or the input's end)
        var newlinesToLastContent = 0
        /// The byte at `offset` is there, within the limit.
        func have(_ offset: Int) -> Bool { offset < maxRecordBytes && ensureAvailable(offset + 1) }
        /// The unit ends `offset` bytes on, `crossed` line breaks down. Cut short at the end of the input, the
        /// object is everything up to its last line with content; a line ending elsewhere leaves it unknown.
        func finish(crossing crossed: Int, at offset: Int) -> Bool {
            lineNumber += crossed
            lines += crossed
            pos += offset
            return true
        }
        while true {
            // `offset` is at a newline: look at the next line's indentation and first byte.
            offset += 1
            newlines += 1
            var column = 0
            while true {
                guard have(offset) else {
                    return eof && end - pos == offset && finish(crossing: newlinesToLastContent, at: lastContentEnd)
                }
                let c = storage[pos + offset]
                if c == 0x20 || c == 0x09 || c == 0x0D { column += 1; offset += 1 } else { break }
            }
            let first = storage[pos + offset]
            if first == 0x0A { continue }                     // a blank line inside the object
            if column == indent && first == UInt8(ascii: "}") {
                _ = finish(crossing: newlines, at: offset + 1)
                // Outside an array the rest of the line (`},` as in a hand-made list) is the object's too.
                if !inTopLevelArray { skipToNewline() }
                return true
            }
            if column <= indent {
                // Another value starts (a record of its own, a second object), or an array closes: the lines
                // do not show where this object ends. Other text this far left is a value broken over lines
                // (a string with a raw line break in it) or members printed without indentation.
                switch first {
                case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "}"): return false
                default: break
                }
            }
            // A line of the object: on to its end.
            while true {
                guard have(offset) else { return eof && end - pos == offset && finish(crossing: newlines, at: offset) }
                if let hit = memchr(storage + pos + offset, 0x0A, min(end - pos, maxRecordBytes) - offset) {
                    offset = storage.distance(to: hit.assumingMemoryBound(to: UInt8.self)) - pos
                    break
                }
                offset = min(end - pos, maxRecordBytes)
            }
            lastContentEnd = offset
            newlinesToLastContent = newlines
        }
    }
}

extension JSONText {
    /// A string value's content inside a frame; lives here because JSONText (a layer below) knows no frames.
    @inlinable
    public static func string(_ frame: ObjectFrame, _ from: Int, _ to: Int, escaped: Bool) -> String {
        string(UnsafeBufferPointer(start: frame.base, count: frame.end), from, to, escaped: escaped)
    }
}
