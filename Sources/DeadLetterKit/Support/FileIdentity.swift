#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's device and inode: what a path named when it was checked, so a later step can tell that the
/// name now leads somewhere else.
struct FileIdentity: Hashable, Sendable {
    var device: UInt64
    var inode: UInt64

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }

    /// The entry `name` in the directory `parentFD` itself (a link is not followed), or nil when it is absent.
    init?(parentFD: Int32, name: String) {
        var st = stat()
        guard fstatat(parentFD, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        self.init(st)
    }
}
