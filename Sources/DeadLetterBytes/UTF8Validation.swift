/// UTF-8 checks used to type payloads; hand-written so the check runs over a buffer without building a String.
public enum UTF8Validation {
    /// True if `bytes` is valid UTF-8 with no control characters other than tab, CR and LF (and no DEL):
    /// the shape of text a person wrote, as opposed to binary data.
    public static func isPrintableText(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D { return false }
                if b == 0x7F { return false }
                i += 1
                continue
            }
            let length: Int
            var scalar: UInt32
            if b & 0xE0 == 0xC0 { length = 2; scalar = UInt32(b & 0x1F) }
            else if b & 0xF0 == 0xE0 { length = 3; scalar = UInt32(b & 0x0F) }
            else if b & 0xF8 == 0xF0 { length = 4; scalar = UInt32(b & 0x07) }
            else { return false }
            guard i + length <= n else { return false }
            for k in 1..<length {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return false }
                scalar = (scalar << 6) | UInt32(c & 0x3F)
            }
            // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
            let minimum: UInt32 = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000)
            if scalar < minimum || scalar > 0x10FFFF || (scalar >= 0xD800 && scalar <= 0xDFFF) { return false }
            // C1 controls are as unprintable as C0 ones.
            if scalar >= 0x80 && scalar < 0xA0 { return false }
            i += length
        }
        return true
    }
}
