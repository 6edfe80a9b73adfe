import DeadLetterBytes
import DeadLetterEngine
import DeadLetterQuery
import DeadLetterSupport
/// The backfill targets, as named by `--target`.
public enum BackfillTargetName: String, CaseIterable, Sendable {
    case opensearch
    case splunkHEC = "splunk-hec"
    case firehose
    case httpEndpoint = "http-endpoint"
    case snowflake, redshift, raw, eventbridge

    /// Hashed by its place, not by its raw value: `report` looks a target up once per record.
    public func hash(into hasher: inout Hasher) {
        let place: Int = switch self {
        case .opensearch: 0
        case .splunkHEC: 1
        case .firehose: 2
        case .httpEndpoint: 3
        case .snowflake: 4
        case .redshift: 5
        case .raw: 6
        case .eventbridge: 7
        }
        hasher.combine(place)
    }
}

/// Everything `backfill` needs, as plain values.
public struct BackfillOptions: Sendable {
    public var input = InputOptions()
    public var target: BackfillTargetName = .raw
    public var out = ""
    public var maxBytes: Int?
    public var maxRecords: Int?
    public var dedupe = false
    public var dryRun = false
    public var force = false
    public var settings = BackfillTargetSettings()
    /// `--split-by`: one part of the output per value of this field (stream, kind or index).
    public var splitBy: RecordField?
    /// `$HOME`, never accepted as --out nor inside it; read by the executable.
    public var home: String?

    public init() {}
}

/// `deadletter backfill`: ready-to-send files for a target, a manifest and the rejects, all or nothing.
public enum BackfillJob {
    /// `interrupts`: where the job puts the removal of its unfinished output, for the executable to run when
    /// the process is interrupted.
    public static func run(_ options: BackfillOptions, output: any TextSink, diagnostics: Diagnostics,
                           interrupts: InterruptCleanup? = nil) throws(UsageError) -> ExitStatus {
        var settings = options.settings
        // Split by stream, Firehose parts name their own streams: the target here only makes the items.
        if options.splitBy == .stream && settings.stream == nil { settings.stream = "(each part's own)" }
        let target = try settings.makeTarget(options.target)
        if options.input.shard != nil && target.name == "redshift" {
            throw UsageError("--shard does not apply to --target redshift: its one COPY manifest and copy.sql cover every file, so back it up in one run (it reads the manifests only, not the data)")
        }
        if let n = options.maxRecords, n < 1 { throw UsageError("--max-records takes a number, 1 or more") }
        if let n = options.maxBytes, n < 1 { throw UsageError("--max-bytes takes a size, 1 or more") }
        let limits = target.serviceLimits.tightened(records: options.maxRecords, bytes: options.maxBytes)
        var input = options.input
        var needs = target.payloadNeeds
        needs.paths = RecordField.payloadPaths(input.filter.fields)
        needs.keep = input.filter.fields.contains(.payload)
        input.read.payloadNeeds = needs
        input.read.keepOtherFields = false
        // Listed once, before the output directory is made: a usage error about the inputs leaves nothing behind.
        let run = InputRun(options: input, diagnostics: diagnostics)
        let listing = try run.listing()

        let directory: OutputDirectory?
        if options.dryRun {
            directory = nil
        } else {
            do {
                directory = try OutputDirectory(destination: options.out, force: options.force, inputs: options.input.paths, home: options.home,
                                            note: { diagnostics.report(.note(.backfillOutput, $0)) })
            } catch {
                if case .usage(let message) = error { throw UsageError(message) }
                diagnostics.report(.error(.backfillOutput, error.description))
                return diagnostics.exitStatus
            }
        }
        let cleanup = directory.flatMap { directory in interrupts?.add { directory.removeUnfinished() } }
        defer { if let cleanup { interrupts?.remove(cleanup) } }
        let sink = directory.map { DirectorySink(directory: $0) }
        let shard = listing.shard
        var engine = BackfillEngine(target: target, limits: limits, dedupe: options.dedupe, sink: options.splitBy == nil ? sink : nil, shard: shard)
        var split: SplitBackfill?
        do {
            split = try options.splitBy.map { field throws(BackfillFailure) in
                try SplitBackfill(field: field, target: target.name, directory: directory, shard: shard) { value, sink throws(BackfillFailure) in
                    let partTarget: any BackfillTarget
                    do throws(UsageError) {
                        partTarget = try options.settings.forPart(field: field, value: value).makeTarget(options.target)
                    } catch {
                        throw .usage(field == .stream && value == nil
                            ? "some records have no delivery stream in their file name: give --stream NAME for them (the others go back to their own)"
                            : error.message)
                    }
                    return BackfillEngine(target: partTarget, limits: limits, dedupe: options.dedupe, sink: sink, shard: shard)
                }
            }
        } catch {
            directory?.abandon()
            diagnostics.report(.error(.backfillOutput, "\(error)"))
            return diagnostics.exitStatus
        }
        var writeFailure: OutputDirectory.Failure?
        // Records are read and decoded on several threads; the engine takes them here, in input order.
        // Items, de-duplication keys and all the engine needs are made on the reading threads.
        let dedupe = options.dedupe
        let splitBy = options.splitBy
        _ = run.run(
            listing, prepare: { PreparedRecord($0, target: target, dedupe: dedupe, splitBy: splitBy) }, weigh: { $0.weight }
        ) { event in
            guard case .record(let record) = event else { return true }
            do throws(OutputDirectory.Failure) {
                if split != nil { try split?.add(record) } else { try engine.add(record) }
            } catch {
                writeFailure = error
                return false
            }
            return true
        }
        if writeFailure == nil {
            do throws(OutputDirectory.Failure) {
                if split != nil { try split?.finish() } else { try engine.finish() }
            } catch { writeFailure = error }
        }
        if writeFailure == nil, let directory {
            do throws(OutputDirectory.Failure) { try directory.commit() } catch { writeFailure = error }
        }
        switch writeFailure {
        case .usage(let message)?:
            directory?.abandon()
            diagnostics.report(.error(.usage, message + "; nothing was written"))
            return diagnostics.exitStatus
        case .conflict(let message)?:
            // Exit 64 as for a usage error, but the command line was right: no usage block after a whole run.
            diagnostics.report(.error(.usage, message))
            return diagnostics.exitStatus
        case .notPlaced(let message)?:
            diagnostics.report(.error(.backfillOutput, message))
            return diagnostics.exitStatus
        default:
            break
        }
        if let failure = writeFailure {
            directory?.abandon()
            diagnostics.report(.error(.backfillOutput, "\(failure); nothing was written to '\(options.out)'"))
            return diagnostics.exitStatus
        }
        report(split?.plan ?? engine.plan, parts: split?.sorted, options: options, diagnostics: diagnostics, output: BufferedOutput(output))
        return diagnostics.exitStatus
    }

    static func report(_ plan: BackfillPlan, parts: [SplitBackfill.Part]?, options: BackfillOptions, diagnostics: Diagnostics,
                       output: BufferedOutput) {
        let t = plan.totals
        if t.possiblyDelivered > 0 {
            diagnostics.report(.warning(.possiblyDelivered, "\(t.possiblyDelivered) records failed with Splunk.AckTimeout and may already be indexed; re-sending them can duplicate events (see possiblyDelivered in manifest.json)"))
        }
        // One target for records of several streams or families is usually a mistake: they all go to one place.
        // raw files go to no service: mixing there is the user's business.
        if plan.target != "raw" {
            for (place, mix) in parts?.map({ ("\($0.folder)/", $0.engine.plan.mix) }) ?? [("", plan.mix)] {
                if let warning = mixWarning(mix, place: place, target: plan.target, splitBy: options.splitBy) {
                    diagnostics.report(.warning(.mixedRecords, warning))
                }
            }
        }
        if plan.target == "opensearch" && plan.mix.mappingErrors > 0 {
            diagnostics.report(.warning(.willFailAgain, "\(plan.mix.mappingErrors) records failed on the index mapping (mapper_parsing_exception): "
                + "sent as they are, they will fail again unless the mapping or the documents change"))
        }
        if t.rejected > 0 {
            let reasons = plan.rejectCounts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            diagnostics.report(.warning(.rejectedRecords, "\(t.rejected) records rejected (\(reasons))"
                                        + (options.dryRun ? "" : "; see \(options.out.hasSuffix("/") ? String(options.out.dropLast()) : options.out)/rejects.ndjson")))
        }
        var text = options.dryRun ? "dry run: nothing written\n" : ""
        text += "\(plan.target): \(HumanNumber.grouped(t.selected)) selected, \(HumanNumber.grouped(t.written)) written, "
        text += "\(HumanNumber.grouped(t.rejected)) rejected, \(HumanNumber.grouped(t.duplicates)) duplicates"
        if t.possiblyDelivered > 0 { text += ", \(HumanNumber.grouped(t.possiblyDelivered)) possibly delivered" }
        text += "\n\(HumanNumber.grouped(plan.files.count)) file\(plan.files.count == 1 ? "" : "s"), \(HumanNumber.bytes(Int64(t.bytes))) in \(options.dryRun ? "the plan" : options.out)"
        if let parts {
            text += ", \(HumanNumber.grouped(parts.count)) part\(parts.count == 1 ? "" : "s") by \(options.splitBy?.name ?? "")"
        }
        text += "\n"
        for file in plan.files {
            // A file made from what was gathered across records (Redshift's merged manifest, copy.sql) holds no
            // batch: its size alone.
            let counts = file.records == 0 && file.items == 0 ? ""
                : "  \(HumanNumber.grouped(file.records)) records  \(HumanNumber.grouped(file.items)) entries"
            text += "  \(file.name)\(counts)  \(HumanNumber.bytes(Int64(file.bytes)))\n"
        }
        if !options.dryRun, !plan.files.isEmpty, let command = sendCommand(target: plan.target, options: options) {
            text += "send them with: \(command)\n"
        }
        output.write(text)
        output.flush()
    }

    /// The warning for records of several streams or kinds in one place (`place`: a part's folder, or
    /// empty for the whole output); nil when they are not mixed.
    static func mixWarning(_ mix: BackfillPlan.Mix, place: String, target: String, splitBy: RecordField?) -> String? {
        guard mix.streams.count > 1 || mix.kinds.count > 1 else { return nil }
        func few(_ values: Set<String>) -> String {
            let sorted = values.sorted()
            return sorted.prefix(4).joined(separator: ", ") + (sorted.count > 4 ? ", …" : "")
        }
        var parts: [String] = []
        if mix.streams.count > 1 { parts.append("\(mix.streams.count) delivery streams (\(few(mix.streams)))") }
        if mix.kinds.count > 1 { parts.append("\(mix.kinds.count) kinds (\(few(mix.kinds)))") }
        let remedy = splitBy == nil ? "--split-by stream or --split-by kind writes them apart, one folder each"
            : "backfill each with --where stream=NAME or --kind KIND"
        let whose = place.isEmpty ? "the records written" : "the records of \(place)"
        return "\(whose) come from " + parts.joined(separator: " and ") + ": they all go to one \(target) target; " + remedy
    }

    /// The `send` command for this output, with the flags its target still needs; nil for targets no API
    /// takes (raw, snowflake, redshift).
    public static func sendCommand(target: String, options: BackfillOptions) -> String? {
        let send = "deadletter send \(ShellQuote.word(options.out))"
        switch target {
        case "firehose":
            // Split by stream, each part names its own stream.
            return options.settings.stream == nil && options.splitBy != .stream ? send + " --stream STREAM" : send
        case "eventbridge": return send
        case "opensearch": return send + " --url https://HOST"
        case "splunk-hec": return "DEADLETTER_HEC_TOKEN=... " + send + " --url https://HOST:8088 --ack"
        case "http-endpoint": return send + " --url https://HOST/PATH"
        default: return nil
        }
    }
}
