/// Standard base64 (RFC 4648 §4) decoding into a caller-owned, reused buffer.
///
/// Hand-written because Foundation's `Data(base64Encoded:)` needs the input copied into a `Data` or
/// `String` first and allocates a new result per call; on the hot path we decode straight from the
/// input buffer into one buffer reused for every record. Padding may be omitted (some re-serialisers
/// drop it); anything outside the alphabet makes the value invalid.
public enum Base64 {
    private static let table: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// The same table four times, each value already shifted to its place in a quad's 24 bits, and a
    /// character outside the alphabet marked in the top byte: a quad decodes with four loads and three ORs,
    /// and one test finds any invalid character in it.
    private static let shifted: [UInt32] = {
        var t = [UInt32](repeating: 0xFF00_0000, count: 1024)
        for c in 0..<256 where table[c] != 0xFF {
            let v = UInt32(table[c])
            t[c] = v << 18
            t[256 + c] = v << 12
            t[512 + c] = v << 6
            t[768 + c] = v
        }
        return t
    }()

    /// Decodes `input` into `output` (replacing its contents). Returns false if `input` is not base64; `output`
    /// then holds nothing meaningful.
    public static func decode(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) -> Bool {
        var length = input.count
        // Strip up to two padding characters.
        var padding = 0
        while length > 0 && padding < 2 && input[length - 1] == UInt8(ascii: "=") {
            length -= 1
            padding += 1
        }
        if length % 4 == 1 { return false }
        if padding > 0 && (length + padding) % 4 != 0 { return false }
        let outLength = length / 4 * 3 + (length % 4 == 0 ? 0 : length % 4 - 1)
        if outLength == 0 {
            output.removeAll(keepingCapacity: true)
            return length == 0
        }
        // Resize without clearing: every byte is written below, and zero-filling the reused buffer
        // first cost as much as a tenth of decoding.
        if output.count > outLength {
            output.removeLast(output.count - outLength)
        } else if output.count < outLength {
            output.append(contentsOf: repeatElement(0, count: outLength - output.count))
        }
        return table.withUnsafeBufferPointer { t -> Bool in
            var ok = true
            var i = 0
            let fullQuads = length / 4
            output.withUnsafeMutableBufferPointer { out in
                var o = 0
                shifted.withUnsafeBufferPointer { q in
                    for _ in 0..<fullQuads {
                        let x = q[Int(input[i])] | q[256 + Int(input[i + 1])] | q[512 + Int(input[i + 2])] | q[768 + Int(input[i + 3])]
                        if x & 0xFF00_0000 != 0 { ok = false; return }
                        out[o] = UInt8(truncatingIfNeeded: x >> 16)
                        out[o + 1] = UInt8(truncatingIfNeeded: x >> 8)
                        out[o + 2] = UInt8(truncatingIfNeeded: x)
                        i += 4
                        o += 3
                    }
                }
                guard ok else { return }
                let rest = length - i
                if rest >= 2 {
                    let a = t[Int(input[i])], b = t[Int(input[i + 1])]
                    if (a | b) & 0x80 != 0 { ok = false; return }
                    out[o] = (a << 2) | (b >> 4)
                    if rest == 3 {
                        let c = t[Int(input[i + 2])]
                        if c & 0x80 != 0 { ok = false; return }
                        out[o + 1] = (b << 4) | (c >> 2)
                    }
                }
            }
            return ok
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes as padded standard base64.
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            let b = iterator.next(), c = iterator.next()
            out.append(alphabet[Int(a >> 2)])
            out.append(alphabet[Int(((a & 0x03) << 4) | ((b ?? 0) >> 4))])
            out.append(b == nil ? UInt8(ascii: "=") : alphabet[Int(((b! & 0x0F) << 2) | ((c ?? 0) >> 6))])
            out.append(c == nil ? UInt8(ascii: "=") : alphabet[Int(c! & 0x3F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
