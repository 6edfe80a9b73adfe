import DeadLetterBytes
import ArgumentParser

/// The value of an option that takes one of a closed set of names (`--kind`, `--target`). It is taken as
/// text and checked after parsing, so that a mistyped name gets a suggestion; help and completion list the
/// names as they would for the value type itself.
struct NamedChoice<Value: ExpressibleByArgument>: ExpressibleByArgument {
    let text: String

    init?(argument: String) { text = argument }

    static var allValueStrings: [String] { Value.allValueStrings }
    static var defaultCompletionKind: CompletionKind { Value.defaultCompletionKind }

    /// The value named, or the error ArgumentParser would give for it with the nearest valid name added.
    /// `option` is the option as the usage shows it: `--kind <kind>`.
    /// `meaning` may name the value a text stands for that is no name of it (a kind's S3 folder).
    func value(for option: String, meaning: (String) -> String? = { _ in nil }) throws -> Value {
        if let value = Value(argument: text) { return value }
        let names = Value.allValueStrings
        let hint = meaning(text).map { " (did you mean '\($0)'?)" } ?? Suggestion.didYouMean(text, among: names)
        throw ValidationError("The value '\(text)' is invalid for '\(option)'\(hint). Please provide one of the following:\n"
            + names.map { "  - \($0)" }.joined(separator: "\n"))
    }
}
