import ArgumentParser

/// How a summary is shown: shared by `summarize` and `merge`.
struct SummaryOutputFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Keep the N largest groups (1 to 1000000000) and fold the rest into (other).", valueName: "n"))
    var top: Int?

    @Flag(help: "Do not shorten table columns to the terminal width.")
    var wide = false

    @Option(help: "Colour table output: auto (terminal only, not with NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    func validate() throws {
        if let top, !Counts.flag.contains(top) {
            throw ValidationError("--top '\(top)': takes a number of groups from 1 to \(Counts.flag.upperBound)")
        }
    }
}

/// The range of count flags (`--top`, `--max-records`). Larger values would mean the same as no limit, so a
/// cap of a billion loses nothing and keeps sums of them far from overflow.
enum Counts {
    static let flag = 1...1_000_000_000
}
