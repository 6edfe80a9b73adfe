/// A small direct-mapped cache from text to number, consulted before a dictionary. The slot comes from the
/// text's length and its first and last eight bytes; a hit is confirmed by comparing the whole text.
///
/// Written by hand because `Dictionary` hashes a key in full with SipHash, which for the 100 to 300 bytes of
/// an error message cost more than the rest of `report`'s work on the record (measured with callgrind: about
/// 1,400 instructions a lookup). Here a lookup reads 16 bytes and compares once. It stays safe against texts
/// made to collide: such texts share a slot and cost one failed comparison each, then the caller's
/// dictionary, which keeps its seeded hashing.
struct RecentTexts: Sendable {
    static let slotCount = 256
    private var slots = [(bytes: [UInt8], number: Int32)?](repeating: nil, count: slotCount)

    private static func slot(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var h = UInt64(truncatingIfNeeded: text.count) &* 0x9E37_79B9_7F4A_7C15
        let n = text.count
        for i in 0..<min(8, n) { h = (h ^ UInt64(text[i])) &* 0x100_0000_01B3 }
        for i in max(min(8, n), n - 8)..<n { h = (h ^ UInt64(text[i])) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: (h ^ (h >> 29)) & UInt64(slotCount - 1))
    }

    func number(of text: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard let entry = slots[Self.slot(text)], entry.bytes.count == text.count else { return nil }
        return entry.bytes.withUnsafeBufferPointer { kept in
            kept.count == 0 || memcmp(kept.baseAddress!, text.baseAddress!, text.count) == 0
        } ? entry.number : nil
    }

    /// `bytes` are kept as they are: a caller that made them for the lookup hands them over without a copy.
    mutating func remember(_ bytes: [UInt8], as number: Int32) {
        let slot = bytes.withUnsafeBufferPointer { Self.slot($0) }
        slots[slot] = (bytes, number)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
