#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// read(2) and write(2) under names of their own: the types that call them have `read` and `write` methods,
// which hide the C functions' plain names.
#if canImport(Glibc)
@inline(__always) package func systemRead(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int) -> Int { Glibc.read(fd, base, count) }
@inline(__always) package func systemWrite(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int { Glibc.write(fd, base, count) }
@inline(__always) package func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Glibc.open(path, flags, mode) }
#else
@inline(__always) package func systemRead(_ fd: Int32, _ base: UnsafeMutableRawPointer, _ count: Int) -> Int { Darwin.read(fd, base, count) }
@inline(__always) package func systemWrite(_ fd: Int32, _ base: UnsafeRawPointer, _ count: Int) -> Int { Darwin.write(fd, base, count) }
@inline(__always) package func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { Darwin.open(path, flags, mode) }
#endif

/// The time of day, for `--since 36h`, request signatures and the send journal.
public enum WallClock {
    /// Milliseconds since the Unix epoch, UTC.
    @Sendable public static func millis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
