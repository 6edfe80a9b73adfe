#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads for small files (summaries, configs); record inputs are always streamed instead.
public enum FileContents {
    public static let maxBytes = 256 << 20

    public static func read(_ path: String) -> [UInt8]? {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { if path != "-" { close(fd) } }
        let source = FileDescriptorSource(fd: fd, closeOnDeinit: false)
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while out.count <= maxBytes {
            let n = chunk.withUnsafeMutableBytes { buffer -> Int in
                (try? source.read(into: buffer)) ?? -1
            }
            if n < 0 { return nil }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
        errno = EFBIG
        return nil
    }

    public static func lastError() -> String { String(cString: strerror(errno)) }
}
