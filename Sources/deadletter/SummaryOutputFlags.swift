import ArgumentParser
import DeadLetterKit

/// How a summary is shown: shared by `summarize` and `merge`.
struct SummaryOutputFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Keep the N largest groups and fold the rest into (other).", valueName: "n"))
    var top: Int?

    @Flag(help: "Do not shorten table columns to the terminal width.")
    var wide = false

    @Option(help: "Colour table output: auto (terminal only, not with NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top takes a number of groups, 1 or more") }
    }
}
