/// Reads a decoded byte stream line by line (for agent logs and configs, which are text, not JSON records).
/// A line longer than `maxLineBytes` is cut there and the rest of it skipped, so memory stays bounded.
public final class LineReader {
    private let source: ByteSource
    private let maxLineBytes: Int
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    private var start = 0
    private var end = 0
    private var eof = false
    public private(set) var error: InputError?
    /// Lines that were longer than the limit.
    public private(set) var truncatedLines = 0

    public init(source: ByteSource, maxLineBytes: Int = 1 << 20) {
        self.source = source
        self.maxLineBytes = maxLineBytes
        self.buffer = .allocate(capacity: 64 << 10)
    }

    deinit { buffer.deallocate() }

    /// The next line without its `\n` (and `\r`), or nil at the end.
    public func next() -> [UInt8]? {
        var skipping = false
        var line: [UInt8] = []
        while true {
            if let nl = buffer[start..<end].firstIndex(of: 0x0A) {
                if !skipping { line += buffer[start..<nl] }
                start = nl + 1
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            if !skipping {
                line += buffer[start..<end]
                if line.count > maxLineBytes {
                    line.removeSubrange(maxLineBytes...)
                    skipping = true
                    truncatedLines += 1
                }
            }
            start = 0
            end = 0
            if eof { return line.isEmpty && !skipping ? nil : line }
            do {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(buffer))
                if n == 0 { eof = true } else { end = n }
            } catch {
                self.error = error
                eof = true
            }
        }
    }
}
