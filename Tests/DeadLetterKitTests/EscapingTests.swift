import DeadLetterKit
import Foundation
import Testing

/// Issue 13, points 9 and 12: untrusted data never reaches a terminal, a spreadsheet or a shell unescaped.
/// Expected strings are written by hand; the end-to-end tests read the output with other tools (Python's
/// csv module, sh) rather than with deadletter's own code.
@Suite struct TerminalEscapingTests {
    @Test(arguments: [
        (0x2028, "\\u{2028}"), (0x2029, "\\u{2029}"), (0x061C, "\\u{61C}"),
        (0x200E, "\\u{200E}"), (0x200F, "\\u{200F}"),
        (0x202A, "\\u{202A}"), (0x202B, "\\u{202B}"), (0x202C, "\\u{202C}"), (0x202D, "\\u{202D}"), (0x202E, "\\u{202E}"),
        (0x2066, "\\u{2066}"), (0x2067, "\\u{2067}"), (0x2068, "\\u{2068}"), (0x2069, "\\u{2069}"),
        (0x00, "\\x00"), (0x07, "\\x07"), (0x08, "\\x08"), (0x0A, "\\n"), (0x0D, "\\r"), (0x09, "\\t"), (0x1B, "\\x1B"),
        (0x1F, "\\x1F"), (0x7F, "\\x7F"), (0x80, "\\x80"), (0x85, "\\x85"), (0x9B, "\\x9B"), (0x9F, "\\x9F"),
    ] as [(UInt32, String)])
    func cursorMovingAndReorderingCharactersAreEscaped(value: UInt32, shown: String) throws {
        let scalar = try #require(Unicode.Scalar(value))
        #expect(TerminalText.escape("a" + String(scalar) + "b") == "a" + shown + "b")
    }

    @Test func zeroWidthAndOrdinaryTextPassUnchanged() {
        for text in ["plain", "a\u{200B}b", "a\u{200C}b", "👩\u{200D}💻", "\u{FEFF}x", "nbsp\u{A0}here", "עברית", "日本語", "\u{A0}\u{A1}"] {
            #expect(TerminalText.escape(text) == text)
        }
    }

    @Test func jsonEscapesTheSameNonASCIICharacters() {
        #expect(JSONOutput.quote("a\u{2028}b\u{2029}c\u{061C}d\u{202E}e\u{85}f") == #""a\u2028b\u2029c\u061cd\u202ee\u0085f""#)
        #expect(JSONOutput.quote("\u{061C}") == #""\u061c""#)
        // The neighbours of U+061C (U+061B, U+061D) and zero-width characters stay raw.
        #expect(JSONOutput.quote("\u{61B}\u{61D}\u{200B}") == "\"\u{61B}\u{61D}\u{200B}\"")
        let json = "{\"m\":\"x\u{061C}y\u{2029}z\"}"
        let out = Array(json.utf8).withUnsafeBufferPointer { String(decoding: JSONText.compact($0), as: UTF8.self) }
        #expect(out == #"{"m":"x\u061cy\u2029z"}"#)
    }
}
