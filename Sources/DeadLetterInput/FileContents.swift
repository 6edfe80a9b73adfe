#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads for small files (summaries, configs); record inputs are always streamed instead.
public enum FileContents {
    public static let maxBytes = 256 << 20

    /// Why a file could not be read, as the system said it when the call failed.
    public struct Unreadable: Error, Sendable {
        public let reason: String
    }

    /// The whole of `path` (`-`: stdin), opened the way every local input is.
    public static func read(_ path: String) throws(Unreadable) -> [UInt8] {
        let source: FileDescriptorSource
        do {
            source = path == "-" ? FileDescriptorSource(fd: STDIN_FILENO, closeOnDeinit: false) : try FilePath(path).openForReading()
        } catch {
            throw Unreadable(reason: error.systemReason)
        }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while out.count <= maxBytes {
            let read: Result<Int, InputError> = chunk.withUnsafeMutableBytes { buffer in
                do throws(InputError) { return .success(try source.read(into: buffer)) } catch { return .failure(error) }
            }
            let n: Int
            switch read {
            case .success(let count): n = count
            case .failure(let error): throw Unreadable(reason: error.systemReason)
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
        throw Unreadable(reason: String(cString: strerror(EFBIG)))
    }
}

extension InputError {
    /// The system's words alone, for messages that say what failed themselves.
    var systemReason: String {
        switch self {
        case .cannotOpen(let why), .readFailed(let why): return why
        default: return description
        }
    }
}
