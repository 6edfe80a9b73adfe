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

    /// The offset of the first byte from `from` that `flags` marks, or where fewer than eight bytes are
    /// left (the caller looks at those one by one): eight bytes a step, then straight to the flagged lane.
    @inline(__always)
    static func skip(_ p: UnsafePointer<UInt8>, from: Int, end: Int, unless flags: (UInt64) -> UInt64) -> Int {
        var j = from
        while j &+ 8 <= end {
            let f = flags(load(p + j))
            if f != 0 { return j &+ firstLane(f) }
            j &+= 8
        }
        return j
    }

    /// Lanes a JSON string cannot hold raw or that end it: control characters, quote, backslash.
    @inline(__always) static func stringSpecials(_ word: UInt64) -> UInt64 {
        control(word) | equal(word, 0x22) | equal(word, 0x5C)
    }

    /// The offset of the first control character, quote or backslash from `from`, or where fewer than eight
    /// bytes are left. Out of line on purpose: inside the scanner's large loop its constants were spilled
    /// and reloaded on every block; here a long string (a record's base64) costs half the instructions.
    @inline(never)
    static func plainStringRun(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var j = from
        while j &+ 16 <= end {
            let a = stringSpecials(load(p + j)), b = stringSpecials(load(p + (j &+ 8)))
            if a | b != 0 { return a != 0 ? j &+ firstLane(a) : j &+ 8 &+ firstLane(b) }
            j &+= 16
        }
        if j &+ 8 <= end {
            let a = stringSpecials(load(p + j))
            if a != 0 { return j &+ firstLane(a) }
            j &+= 8
        }
        return j
    }
}
