import DeadLetterBackfill
import DeadLetterExport
import DeadLetterInput
import DeadLetterSupport
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge JSON summaries of separate runs (or shards) into one, as if the inputs had been read together.",
        discussion: """
        Counts, bytes, time ranges, attempts and totals add up exactly; the first malformed samples are kept \
        (for the shards of one run, the first in the whole listing's order, so the merge equals the single run \
        byte for byte). Summaries must share the schema and --by. A summary made with --top holds an (other) \
        group that mixes keys: merging it works, but the result says "exactlyMergeable": false. Shards made \
        with --shard are checked: one given twice is refused (exit 64); the missing ones of a listing are named \
        (exit 1).

        Given the backfill outputs of one run's shards (folders side by side, or their manifest.json), merge \
        writes one manifest.json over all of them, with totals that add up, for `deadletter send` to deliver \
        every shard's files. With --dedupe (shards backfilled with --dedupe), it first drops the records more \
        than one shard wrote, keeping the copy one run over everything keeps, and rewrites those shards.

        Examples:
          deadletter summarize bucket/processing-failed --format json > a.json   # one input, on one machine
          deadletter summarize bucket/splunk-failed --format json > b.json       # another, on another
          deadletter merge a.json b.json --top 20 --format table
          seq 0 7 | xargs -P 8 -I{} sh -c 'deadletter summarize bucket/ --shard {}/8 --format json > s{}.json'
          deadletter merge s?.json --format table                                # the same as summarize bucket/
          seq 0 1 | xargs -I{} deadletter backfill bucket/ --target raw --shard {}/2 --out all/shard-{} -q
          deadletter merge all/shard-0 all/shard-1 > all/manifest.json           # one manifest over both shards
          seq 0 1 | xargs -I{} deadletter backfill bucket/ --target raw --dedupe --shard {}/2 --out dd/shard-{} -q
          deadletter merge --dedupe dd/shard-0 dd/shard-1 > dd/manifest.json     # repeats across shards dropped too
        """
    )

    @Argument(help: ArgumentHelp("JSON summaries written by `deadletter summarize --format json`, or the backfill outputs (folders or manifest.json) of one run's shards.", valueName: "summary.json"),
              completion: .file(extensions: ["json"]))
    var summaries: [String]

    @Option(help: "Output format.")
    var format: SummaryFormat = .json

    @OptionGroup var display: SummaryOutputFlags

    @Flag(help: "Backfill outputs of shards made with --dedupe: first drop the records more than one shard wrote (keeping the one a single run keeps), rewriting those shards' files, manifests and key logs.")
    var dedupe = false

    func validate() throws {
        if summaries.isEmpty { throw ValidationError("give at least one summary file") }
    }

    func run() throws {
        var options = MergeOptions()
        options.paths = summaries
        options.format = format
        options.top = display.top
        options.wide = display.wide
        options.width = Terminal.columns()
        options.color = display.color.enabled(fd: STDOUT_FILENO)
        // Backfill manifests (or the folders holding them) merge into one manifest; anything else is a summary.
        let manifests = summaries.allSatisfy { path in
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue { return true }
            return (try? FileContents.read(path)).map(ShardManifestMerge.isManifest) ?? false
        }
        try finish { output, diagnostics throws(UsageError) in
            if !manifests && dedupe {
                throw UsageError("--dedupe is for the backfill outputs of shards (their folders or manifest.json); summaries count repeats, they hold no records to drop")
            }
            return manifests ? try ShardManifestMerge.run(summaries, dedupe: dedupe, output: output, diagnostics: diagnostics)
                : try MergeJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
