import DeadLetterBytes
import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every usage error leaves the same way, whoever found it: ArgumentParser while parsing, a command's
/// `run()` (ValidationError) or a library job (UsageError). ArgumentParser prints its own; the other two
/// come here and get the same shape: the message, the usage of the subcommand that was run, a pointer to
/// its help, exit 64.
enum UsageFailure {
    static func exit(_ message: String, command: ParsableCommand.Type) -> Never {
        printToStandardError(text(message, command: command))
        // The text keeps ArgumentParser's shape; the status comes from the diagnostics' rule like every other.
        var tally = DiagnosticTally()
        tally.add(.error, .usage)
        terminate(tally.exitStatus(strict: false).rawValue)
    }

    /// The text ArgumentParser prints for its own errors of `command`. The message is escaped: it can quote
    /// a summary file or a path.
    static func text(_ message: String, command: ParsableCommand.Type) -> String {
        let names = command == DeadLetter.self ? DeadLetter._commandName : "\(DeadLetter._commandName) \(command._commandName)"
        // Continuation lines of a long usage are indented under its first, as ArgumentParser does.
        let usage = DeadLetter.usageString(for: command)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated().map { $0.offset == 0 || $0.element.isEmpty ? String($0.element) : "       " + $0.element }
            .joined(separator: "\n")
        return "Error: \(TerminalText.escape(message))\n"
            + "Usage: \(usage)\n"
            + "  See '\(names) --help' for more information.\n"
    }

    /// The message of an error a command's `run()` threw, if it is a usage error.
    static func message(of error: any Error) -> String? {
        switch error {
        case let error as ValidationError: error.message
        case let error as UsageError: error.message
        default: nil
        }
    }
}

/// `deadletter sumarize`: ArgumentParser would say only "Unexpected argument"; a near miss gets a suggestion.
enum SubcommandSuggestion {
    /// The message for `arguments` whose first word names no subcommand but comes close to one, else nil.
    static func message(for arguments: [String]) -> String? {
        guard let word = arguments.first, !word.hasPrefix("-") else { return nil }
        let names = DeadLetter.configuration.subcommands.map { $0._commandName }
        guard !names.contains(word), word != "help" else { return nil }
        guard let nearest = Suggestion.closest(to: word, among: names) else { return nil }
        return "Unknown subcommand '\(word)'; did you mean '\(nearest)'?"
    }
}

func printToStandardError(_ text: String) {
    Array(text.utf8).withUnsafeBytes { FileDescriptorSink(fd: STDERR_FILENO).write($0) }
}
