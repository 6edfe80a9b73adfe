/// How a batch becomes one file: the bytes before, between and after its items, and the file's name.
/// Apart from the encoding, so the same batches can later be packaged as a service's request instead.
public struct FilePackaging: Sendable {
    public enum Header: Sendable {
        case fixed([UInt8])
        /// Made from the joined items and their latest arrival (the HTTP endpoint's request id and timestamp).
        case derived(@Sendable (_ body: UnsafeBufferPointer<UInt8>, _ latestArrival: Int64?) -> [UInt8])
    }

    /// The start of every file's name (the target's name).
    public var prefix: String
    public var fileExtension: String
    public var header: Header
    public var separator: [UInt8]
    public var footer: [UInt8]
    /// The most bytes the file adds around its items (header and footer), so byte limits on whole files
    /// hold exactly; 0 where the limit counts the items only.
    public var overhead: Int

    public init(prefix: String, fileExtension: String, header: Header = .fixed([]), separator: [UInt8] = [],
                footer: [UInt8] = [], overhead: Int = 0) {
        (self.prefix, self.fileExtension, self.header) = (prefix, fileExtension, header)
        (self.separator, self.footer, self.overhead) = (separator, footer, overhead)
    }

    /// `raw-00001.txt`: the number has five digits at least.
    public func fileName(number: Int) -> String {
        let digits = String(number)
        let padded = digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
        return prefix + "-" + padded + "." + fileExtension
    }

    /// The header when it does not depend on the items.
    var fixedHeader: [UInt8]? {
        if case .fixed(let bytes) = header { return bytes }
        return nil
    }

    func header(for batch: Batch) -> [UInt8] {
        switch header {
        case .fixed(let bytes): return bytes
        case .derived(let make): return batch.body.withUnsafeBufferPointer { make($0, batch.latestArrival) }
        }
    }
}

/// A batch as one file: what wraps the batch's items, and what the manifest says of it.
public struct PackagedFile: Sendable, Equatable {
    public var number: Int
    public var name: String
    public var header: [UInt8]
    public var footer: [UInt8]
    /// Header, items and footer.
    public var bytes: Int
    public var sha256: String
}

/// The SHA-256 of a file taken while its batch fills, in steps of 64 KiB: hashing a 16 MiB file at the end
/// held the in-order thread for tens of milliseconds, while the reading threads filled their read-ahead and
/// stopped. Only for a header known before the items.
struct FileDigest {
    private var digest = Digest.Incremental()
    private var hashed = 0
    static let step = 1 << 16

    init(header: [UInt8]) {
        header.withUnsafeBufferPointer { digest.update($0) }
    }

    /// Hashes what the body gained since the last step, once that is a step's worth.
    mutating func advance(over body: [UInt8]) {
        if body.count - hashed >= Self.step { catchUp(body) }
    }

    mutating func finish(body: [UInt8], footer: [UInt8]) -> String {
        catchUp(body)
        footer.withUnsafeBufferPointer { digest.update($0) }
        return digest.finalizeHex()
    }

    private mutating func catchUp(_ body: [UInt8]) {
        body.withUnsafeBufferPointer { digest.update(UnsafeBufferPointer(rebasing: $0[hashed...])) }
        hashed = body.count
    }
}
