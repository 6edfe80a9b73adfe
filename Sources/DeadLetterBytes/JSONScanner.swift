/// What kind of JSON value a member holds.
public enum JSONKind: UInt8, Sendable {
    case string, number, object, array, bool, null
}

/// One member of the top-level object, as byte offsets into the scanned buffer.
/// String bounds exclude the quotes; `escaped` says whether the bytes need unescaping.
public struct ScannedMember: Sendable {
    public var keyStart: Int
    public var keyEnd: Int
    public var keyEscaped: Bool
    public var valueStart: Int
    public var valueEnd: Int
    public var valueKind: JSONKind
    public var valueEscaped: Bool
    /// For an array value: how many elements it holds (counted during the same scan).
    public var elements: Int = 0
}

/// The containers open during a scan: one bit per level for the first 64 (1 = array), an array beyond.
/// Records nest a few levels deep, so the common case touches no heap memory at all.
struct ContainerStack {
    private(set) var depth = 0
    private var bits: UInt64 = 0
    private var deeper: [Bool] = []

    mutating func reset() {
        depth = 0
        bits = 0
        if !deeper.isEmpty { deeper.removeAll(keepingCapacity: true) }
    }

    @inline(__always) func isArray(at level: Int) -> Bool {
        level < 64 ? (bits >> UInt64(level)) & 1 == 1 : deeper[level - 64]
    }

    @inline(__always) var topIsArray: Bool { isArray(at: depth - 1) }

    @inline(__always) mutating func push(array: Bool) {
        if depth < 64 {
            let bit: UInt64 = 1 << UInt64(depth)
            bits = array ? bits | bit : bits & ~bit
        } else {
            deeper.append(array)
        }
        depth += 1
    }

    @inline(__always) mutating func pop() {
        depth -= 1
        if depth >= 64 { deeper.removeLast() }
    }
}

public enum ScanOutcome: Equatable {
    /// A whole value ends at `end` (exclusive); `newlines` line breaks were crossed inside it.
    case complete(end: Int, newlines: Int)
    /// The buffer ended first and more input may follow.
    case incomplete
    /// Not JSON: the reason names what was wrong at byte offset `at`.
    case invalid(at: Int, reason: String)
}

/// A validating JSON scanner that walks one value without building it.
///
/// Written by hand because no JSON library gives what the hot path needs: byte offsets of the top-level
/// members (so `rawData` is decoded straight from the input buffer), no allocation per value, an explicit
/// stack instead of recursion (hostile nesting cannot overflow the call stack), and a clear
/// "need more bytes" answer for values that straddle a read boundary.
public struct JSONScanner {
    public static let maxDepth = 10_000
    private var stack = ContainerStack()

    public init() {}

    /// Scans the value starting at `start` (which must not be whitespace).
    /// When the value is an object, its direct members are appended to `members`.
    public mutating func scan(
        _ p: UnsafePointer<UInt8>, start: Int, end: Int, atEOF: Bool,
        members: inout [ScannedMember]
    ) -> ScanOutcome {
        stack.reset()
        members.removeAll(keepingCapacity: true)
        var i = start
        var newlines = 0
        // Expectation states.
        let expectValue = 0, expectValueOrClose = 1, expectKey = 2, expectKeyOrClose = 3
        let expectColon = 4, expectCommaOrClose = 5
        var expect = expectValue
        var memberKeyStart = 0, memberKeyEnd = 0, memberKeyEscaped = false
        var memberValueStart = 0
        var memberKind = JSONKind.null
        var memberElements = 0

        @inline(__always) func endOfInput() -> ScanOutcome {
            atEOF ? .invalid(at: i, reason: "unexpected end of input inside a JSON value") : .incomplete
        }

        while true {
            // Skip whitespace between tokens.
            while i < end {
                let c = p[i]
                if c == 0x20 || c == 0x09 || c == 0x0D { i += 1; continue }
                if c == 0x0A { newlines += 1; i += 1; continue }
                break
            }
            if i >= end { return endOfInput() }
            let c = p[i]
            var valueDone = false
            var closedContainer = false
            var scalarStart = i
            var scalarEnd = i
            var scalarKind = JSONKind.null
            var scalarEscaped = false

            switch expect {
            case expectKey, expectKeyOrClose:
                if c == UInt8(ascii: "}") && expect == expectKeyOrClose {
                    stack.pop()
                    i += 1
                    valueDone = true
                    closedContainer = true
                    break
                }
                guard c == UInt8(ascii: "\"") else {
                    return .invalid(at: i, reason: "expected a quoted member name")
                }
                switch Self.scanString(p, from: i, end: end) {
                case .string(let contentEnd, let escaped):
                    if stack.depth == 1 {
                        memberKeyStart = i + 1
                        memberKeyEnd = contentEnd
                        memberKeyEscaped = escaped
                    }
                    i = contentEnd + 1
                    expect = expectColon
                case .needMore: return endOfInput()
                case .bad(let at, let reason): return .invalid(at: at, reason: reason)
                }
                continue
            case expectColon:
                guard c == UInt8(ascii: ":") else { return .invalid(at: i, reason: "expected ':' after member name") }
                i += 1
                expect = expectValue
                continue
            case expectCommaOrClose:
                let inArray = stack.topIsArray
                if c == UInt8(ascii: ",") {
                    i += 1
                    expect = inArray ? expectValue : expectKey
                    continue
                }
                if (c == UInt8(ascii: "}") && !inArray) || (c == UInt8(ascii: "]") && inArray) {
                    stack.pop()
                    i += 1
                    valueDone = true
                    closedContainer = true
                    break
                }
                return .invalid(at: i, reason: inArray ? "expected ',' or ']' in array" : "expected ',' or '}' in object")
            default: // expectValue, expectValueOrClose
                if c == UInt8(ascii: "]") && expect == expectValueOrClose {
                    stack.pop()
                    i += 1
                    valueDone = true
                    closedContainer = true
                    break
                }
                let atMemberValue = stack.depth == 1 && !stack.isArray(at: 0)
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if stack.depth >= Self.maxDepth {
                        return .invalid(at: i, reason: "nested deeper than \(Self.maxDepth) levels")
                    }
                    if atMemberValue {
                        memberValueStart = i
                        memberKind = c == UInt8(ascii: "{") ? .object : .array
                        memberElements = 0
                    }
                    stack.push(array: c == UInt8(ascii: "["))
                    i += 1
                    expect = c == UInt8(ascii: "{") ? expectKeyOrClose : expectValueOrClose
                    continue
                case UInt8(ascii: "\""):
                    switch Self.scanString(p, from: i, end: end) {
                    case .string(let contentEnd, let escaped):
                        scalarStart = i + 1
                        scalarEnd = contentEnd
                        scalarKind = .string
                        scalarEscaped = escaped
                        i = contentEnd + 1
                    case .needMore: return endOfInput()
                    case .bad(let at, let reason): return .invalid(at: at, reason: reason)
                    }
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    switch Self.scanNumber(p, from: i, end: end, atEOF: atEOF) {
                    case .number(let numberEnd):
                        scalarStart = i
                        scalarEnd = numberEnd
                        scalarKind = .number
                        i = numberEnd
                    case .needMore: return .incomplete
                    case .bad(let at, let reason): return .invalid(at: at, reason: reason)
                    }
                case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                    let word: StaticString = c == UInt8(ascii: "t") ? "true" : (c == UInt8(ascii: "f") ? "false" : "null")
                    let length = word.utf8CodeUnitCount
                    var k = 0
                    while k < length {
                        if i + k >= end { return endOfInput() }
                        if p[i + k] != word.utf8Start[k] { return .invalid(at: i + k, reason: "invalid literal") }
                        k += 1
                    }
                    scalarStart = i
                    scalarEnd = i + length
                    scalarKind = c == UInt8(ascii: "n") ? .null : .bool
                    i += length
                default:
                    return .invalid(at: i, reason: Self.describeUnexpected(c))
                }
                valueDone = true
                if atMemberValue {
                    members.append(ScannedMember(
                        keyStart: memberKeyStart, keyEnd: memberKeyEnd, keyEscaped: memberKeyEscaped,
                        valueStart: scalarStart, valueEnd: scalarEnd, valueKind: scalarKind, valueEscaped: scalarEscaped))
                }
            }

            if valueDone {
                if stack.depth == 0 { return .complete(end: i, newlines: newlines) }
                // An element of an array that is a direct member of the top-level object.
                if stack.depth == 2 && stack.isArray(at: 1) && !stack.isArray(at: 0) { memberElements += 1 }
                if closedContainer && stack.depth == 1 && !stack.isArray(at: 0) {
                    // A container that was a direct member of the top-level object just closed.
                    members.append(ScannedMember(
                        keyStart: memberKeyStart, keyEnd: memberKeyEnd, keyEscaped: memberKeyEscaped,
                        valueStart: memberValueStart, valueEnd: i, valueKind: memberKind, valueEscaped: false,
                        elements: memberKind == .array ? memberElements : 0))
                }
                expect = expectCommaOrClose
            }
        }
    }

    static func describeUnexpected(_ c: UInt8) -> String {
        if c >= 0x20 && c < 0x7F { return "unexpected character '\(Character(UnicodeScalar(c)))'" }
        return "unexpected byte 0x\(String(c, radix: 16, uppercase: true))"
    }

    enum StringScan { case string(contentEnd: Int, escaped: Bool), needMore, bad(at: Int, reason: String) }

    /// `from` points at the opening quote. Fast path: eight bytes at a time until one of them is a quote,
    /// a backslash or a control character (most of a record is one long base64 string).
    @inline(__always)
    static func scanString(_ p: UnsafePointer<UInt8>, from: Int, end: Int) -> StringScan {
        var j = from + 1
        var escaped = false
        while true {
            // Straight to the first control character, quote or backslash. Most strings (keys, ids) end
            // inside their first eight bytes, tested here; longer ones (base64) go to a loop of their own.
            if j + 8 <= end {
                let flags = SWAR.stringSpecials(SWAR.load(p + j))
                j = flags != 0 ? j + SWAR.firstLane(flags) : SWAR.plainStringRun(p, from: j + 8, end: end)
            }
            guard j < end else { return .needMore }
            let b = p[j]
            if b == 0x22 { return .string(contentEnd: j, escaped: escaped) }
            if b == 0x5C {
                escaped = true
                guard j + 1 < end else { return .needMore }
                switch p[j + 1] {
                case 0x22, 0x5C, 0x2F, UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    j += 2
                case UInt8(ascii: "u"):
                    guard j + 5 < end else { return .needMore }
                    for k in 2...5 where !isHexDigit(p[j + k]) {
                        return .bad(at: j, reason: "invalid \\u escape in string")
                    }
                    j += 6
                default:
                    return .bad(at: j, reason: "invalid escape in string")
                }
                continue
            }
            if b < 0x20 {
                if b == 0x0A { return .bad(at: j, reason: "unterminated string (line ends inside a string)") }
                return .bad(at: j, reason: "control character 0x\(String(b, radix: 16)) inside a string")
            }
            j += 1
        }
    }

    @inline(__always)
    static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    enum NumberScan { case number(end: Int), needMore, bad(at: Int, reason: String) }

    static func scanNumber(_ p: UnsafePointer<UInt8>, from: Int, end: Int, atEOF: Bool) -> NumberScan {
        var j = from
        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func digits() -> Int { let s = j; while j < end && isDigit(p[j]) { j += 1 }; return j - s }
        if p[j] == UInt8(ascii: "-") { j += 1 }
        if j >= end { return atEOF ? .bad(at: j, reason: "invalid number") : .needMore }
        if p[j] == UInt8(ascii: "0") {
            j += 1
        } else if digits() == 0 {
            return .bad(at: j, reason: "invalid number")
        }
        if j < end && p[j] == UInt8(ascii: ".") {
            j += 1
            if digits() == 0 { return j >= end && !atEOF ? .needMore : .bad(at: j, reason: "invalid number") }
        }
        if j < end && (p[j] == UInt8(ascii: "e") || p[j] == UInt8(ascii: "E")) {
            j += 1
            if j < end && (p[j] == UInt8(ascii: "+") || p[j] == UInt8(ascii: "-")) { j += 1 }
            if digits() == 0 { return j >= end && !atEOF ? .needMore : .bad(at: j, reason: "invalid number") }
        }
        // A number at the very end of the buffer may continue in the next read.
        if j >= end && !atEOF { return .needMore }
        return .number(end: j)
    }
}
