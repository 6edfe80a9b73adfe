/// Tests on eight bytes at once in a UInt64 ("SIMD within a register"), for the loops that skip plain
/// bytes: JSON strings, quoting, compaction. A flagged lane has its high bit set in the result. A lane
/// after a true hit may be flagged too (a borrow carries into it), but the lowest flagged lane is always
/// a true hit, so `firstLane` gives the exact offset of the first byte that needs a look.
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) static func load(_ p: UnsafePointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
    }

    /// Lanes equal to `value`.
    @inline(__always) static func equal(_ word: UInt64, _ value: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(value))
        return (x &- ones) & ~x & highs
    }

    /// Lanes below 0x20 (control characters); bytes of 0x80 and above never flag.
    @inline(__always) static func control(_ word: UInt64) -> UInt64 {
        (word &- ones &* 0x20) & ~word & highs
    }

    /// Lanes of 0x80 and above (non-ASCII).
    @inline(__always) static func nonASCII(_ word: UInt64) -> UInt64 { word & highs }

    /// Offset (0...7) of the lowest flagged lane of a non-zero test result.
    @inline(__always) static func firstLane(_ flags: UInt64) -> Int { flags.trailingZeroBitCount &>> 3 }
}
