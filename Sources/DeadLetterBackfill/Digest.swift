import Crypto

/// SHA-256 through swift-crypto.
public enum Digest {
    public static func sha256<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        Array(SHA256.hash(data: Array(bytes)))
    }

    public static func sha256Hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var hasher = Incremental()
        hasher.update(bytes)
        return hasher.finalizeHex()
    }

    /// SHA-256 over data given in parts.
    public struct Incremental {
        private var hasher = SHA256()
        public init() {}
        public mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
            hasher.update(bufferPointer: UnsafeRawBufferPointer(bytes))
        }
        public func finalizeHex() -> String {
            hasher.finalize().map { byte in
                let h = String(byte, radix: 16)
                return h.count == 1 ? "0" + h : h
            }.joined()
        }
    }
}
