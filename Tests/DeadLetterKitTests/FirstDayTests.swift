import Foundation
import Testing
@testable import DeadLetterQuery
import DeadLetterSupport

/// Frictions a first day with deadletter showed (issue 19), each checked from the outside: times typed without
/// seconds, backfill summaries that agree with the files they list.
@Suite struct FirstDayTests {
    @Test func timesWithoutSecondsAreReadAsPeopleTypeThem() throws {
        // 2024-03-07T00:00:00Z is 1,709,769,600 s after the epoch (19,789 days × 86,400); noon is 43,200 s later.
        let noon: Int64 = 1_709_812_800_000
        #expect(try TimeArgument.parse("2024-03-07T12:00", now: 0) == noon)
        #expect(try TimeArgument.parse("2024-03-07 12:00Z", now: 0) == noon)
        #expect(try TimeArgument.parse("2024-03-07T12:00+01:00", now: 0) == noon - 3_600_000)
        #expect(try TimeArgument.parse("2024-03-07T12:00:30", now: 0) == noon + 30_000)
        for bad in ["2024-03-07T12:0", "2024-03-07T1200", "2024-03-07T12:00+1", "2024-03-07T25:00"] {
            #expect(throws: UsageError.self, "\(bad)") { try TimeArgument.parse(bad, now: 0, flag: "--until") }
        }
        let typed = try CLI.run(["summarize", "samples/firehose", "--until", "2024-03-05T14:30", "--format", "json", "-q"])
        let full = try CLI.run(["summarize", "samples/firehose", "--until", "2024-03-05T14:30:00Z", "--format", "json", "-q"])
        #expect(typed.status == 0 && typed.stdout == full.stdout)
    }

    /// The summary's files, sizes and entries are those on disk: counted here from the files themselves.
    @Test func backfillSummariesAgreeWithTheFilesTheyList() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func size(_ url: URL) throws -> Int { (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? -1 }

        let redshift = root.appendingPathComponent("rs")
        let run = try CLI.run(["backfill", "samples/firehose", "--target", "redshift", "--table", "t", "--iam-role", "arn:aws:iam::1:role/r",
                               "--out", redshift.path, "-q"])
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try size(redshift.appendingPathComponent("copy-manifest.json")), sql = try size(redshift.appendingPathComponent("copy.sql"))
        #expect(run.stdout.contains("2 files, \(String(format: "%.1f", Double(manifest + sql) / 1024)) KiB in"))
        #expect(run.stdout.contains("  copy-manifest.json  \(manifest) B\n") && run.stdout.contains("  copy.sql  \(sql) B\n"))
        #expect(!run.stdout.contains("0 records  0 entries"))

        let raw = root.appendingPathComponent("raw")
        let exploded = try CLI.run(["backfill", "samples/firehose", "--target", "raw", "--explode", "--out", raw.path, "-q"])
        let text = try String(contentsOf: raw.appendingPathComponent("raw-00001.txt"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        #expect(lines > 3)
        #expect(exploded.stdout.contains("1 file, ") && exploded.stdout.contains("  \(lines) entries  "))

        let hec = try CLI.run(["backfill", "samples/firehose", "--target", "splunk-hec", "--out", root.appendingPathComponent("hec").path + "/"])
        #expect(hec.stderr.contains("/hec/rejects.ndjson") && !hec.stderr.contains("//rejects"))
    }

    @Test func anEmptyStandardInputIsSaidToBeEmpty() throws {
        let run = try CLI.run(["summarize"], stdin: Data())
        #expect(run.status == 0)
        #expect(run.stderr.contains("standard input was empty: nothing was read"))
        let fed = try CLI.run(["summarize", "-q"], stdin: try Data(contentsOf: CLI.packageRoot.appendingPathComponent(
            "samples/eventbridge-dlq/receive-message-2024-03-05.json")))
        #expect(fed.status == 0 && fed.stdout.hasPrefix("3 records"))
    }

    /// `records --help`'s jq example, on the shipped Splunk samples, whose AckTimeout payloads are text and JSON:
    /// jq must not fail on either.
    @Test func theRecordsHelpJqExampleWorksOnTextPayloads() throws {
        let help = try CLI.run(["records", "--help"]).stdout
        let example = try #require(help.split(separator: "\n").first { $0.contains("Splunk.AckTimeout | jq") })
        let filter = try #require(example.components(separatedBy: "| jq ").last).trimmingCharacters(in: .whitespaces)
        let shell = "deadletter records samples/firehose/bucket/splunk-failed --where errorCode=Splunk.AckTimeout -q | jq \(filter)"
        let output = try ReadmeExampleTests.shell(shell + "; echo status=$?", in: CLI.packageRoot)
        #expect(output.hasSuffix("status=0\n"), "\(output)")
        #expect(output.split(separator: "\n").count >= 2)
    }

    /// `--hec-*` on the events backfill wraps; payloads that already are HEC events keep theirs unless
    /// --hec-override. Read back with Foundation's JSON parser, event by event, against the sample files.
    @Test func hecMetadataGoesOnWrappedEventsAndOnOthersOnlyWhenAsked() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func events(_ extra: [String]) throws -> [[String: Any]] {
            let out = root.appendingPathComponent(UUID().uuidString)
            let run = try CLI.run(["backfill", "samples/firehose", "--target", "splunk-hec", "--out", out.path, "-q"] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            let text = try String(contentsOf: out.appendingPathComponent("splunk-hec-00001.json"), encoding: .utf8)
            return try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        }
        let plain = try events([])
        let flags = ["--hec-index", "replay", "--hec-sourcetype", "st:replay", "--hec-host", "redrive-host"]
        let tagged = try events(flags)
        #expect(plain.count == tagged.count && plain.count > 10)
        // The samples' own HEC events carry an index ("main"): those pass through untouched; the rest are wrapped.
        var own = 0, wrapped = 0
        for (before, after) in zip(plain, tagged) {
            if before["index"] != nil {
                own += 1
                #expect(NSDictionary(dictionary: before).isEqual(to: after))
            } else {
                wrapped += 1
                #expect(after["index"] as? String == "replay" && after["sourcetype"] as? String == "st:replay" && after["host"] as? String == "redrive-host")
                let same = NSDictionary(dictionary: ["e": after["event"] ?? 0, "t": after["time"] ?? 0]).isEqual(to: ["e": before["event"] ?? 0, "t": before["time"] ?? 0])
                #expect(same)
            }
        }
        #expect(own > 0 && wrapped > 0)
        let forced = try events(flags + ["--hec-override"])
        #expect(forced.allSatisfy { $0["index"] as? String == "replay" && $0["host"] as? String == "redrive-host" })
        #expect(zip(plain, forced).allSatisfy { NSDictionary(dictionary: ["e": $0.0["event"] ?? 0]).isEqual(to: ["e": $0.1["event"] ?? 0]) })
    }

    /// `--sort`: the same groups, in the order asked; worked out here from the default (count) output.
    @Test func groupsSortByCountKeyFirstOrLast() throws {
        func groups(_ extra: [String]) throws -> [[String: Any]] {
            let run = try CLI.run(["summarize", "samples/firehose", "--by", "kind", "--format", "json", "-q"] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            return try run.json()["groups"] as? [[String: Any]] ?? []
        }
        func kind(_ g: [String: Any]) -> String { (g["key"] as? [String: String])?["kind"] ?? "" }
        let byCount = try groups([])
        #expect(byCount.count > 5)
        let counts = byCount.map { $0["count"] as? Int ?? 0 }
        #expect(counts == counts.sorted(by: >))
        #expect(try groups(["--sort", "key"]).map(kind) == byCount.map(kind).sorted())
        // RFC 3339 in UTC with milliseconds sorts as text in time order; ties by key.
        let first = byCount.sorted { a, b in
            let x = a["firstArrival"] as? String ?? "~", y = b["firstArrival"] as? String ?? "~"
            return x != y ? x < y : kind(a) < kind(b)
        }
        #expect(try groups(["--sort", "first"]).map(kind) == first.map(kind))
        let last = byCount.sorted { a, b in
            let x = a["lastArrival"] as? String ?? "", y = b["lastArrival"] as? String ?? ""
            return x != y ? x > y : kind(a) < kind(b)
        }
        #expect(try groups(["--sort", "last"]).map(kind) == last.map(kind))
        // A lone hour key is in time order unless asked otherwise; --top keeps the largest, shown in that order.
        let hours = try CLI.run(["summarize", "samples/firehose", "--by", "hour", "--format", "json", "-q"]).json()["groups"] as? [[String: Any]] ?? []
        let keys = hours.map { ($0["key"] as? [String: String])?["hour"] ?? "" }
        #expect(keys == keys.sorted() && keys.count > 5)
        let top = try CLI.run(["summarize", "samples/firehose", "--by", "kind", "--top", "3", "--sort", "key", "--format", "json", "-q"])
            .json()["groups"] as? [[String: Any]] ?? []
        #expect(top.map(kind) == Array(byCount.prefix(3)).map(kind).sorted() + ["(other)"])
    }

    /// Records of several streams or kinds going to one target are named; one stream and kind are not. Mapping
    /// errors re-sent unchanged are said to fail again. The streams are counted here from `summarize`.
    @Test func backfillSaysWhenItMixesStreamsOrRepeatsMappingErrors() throws {
        let root = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let streams = try CLI.run(["summarize", "samples/firehose/bucket/processing-failed", "--by", "stream", "--format", "json", "-q"])
            .json()["groups"] as? [[String: Any]] ?? []
        #expect(streams.count > 1)
        let mixed = try CLI.run(["backfill", "samples/firehose/bucket/processing-failed", "--target", "firehose", "--stream", "replay", "--out", root.appendingPathComponent("a").path])
        #expect(mixed.status == 0)
        #expect(mixed.stderr.contains("the records written come from \(streams.count) delivery streams"))
        let one = (streams.first?["key"] as? [String: String])?["stream"] ?? ""
        let single = try CLI.run(["backfill", "samples/firehose/bucket/processing-failed", "--target", "firehose", "--stream", "replay", "--where", "stream=\(one)",
                                  "--out", root.appendingPathComponent("b").path])
        #expect(single.status == 0 && !single.stderr.contains("come from"))

        let mapping = try CLI.run(["records", "samples/firehose", "--where", "message~mapper_parsing", "--kind", "opensearch", "-q"])
        let failing = mapping.stdout.split(separator: "\n").count
        #expect(failing > 0)
        let bulk = try CLI.run(["backfill", "samples/firehose", "--kind", "opensearch", "--where", "message~mapper_parsing", "--target", "opensearch",
                                "--index", "logs", "--out", root.appendingPathComponent("c").path])
        #expect(bulk.stderr.contains("\(failing) records failed on the index mapping (mapper_parsing_exception)"))
        let fine = try CLI.run(["backfill", "samples/firehose", "--kind", "opensearch", "--where", "errorCode=429", "--target", "opensearch",
                                "--index", "logs", "--out", root.appendingPathComponent("d").path])
        #expect(fine.status == 0 && !fine.stderr.contains("index mapping"))
    }
}

/// Issue 19, point 7: `--since`/`--until` leave local dated folders outside the window unread, as `s3://`
/// does, so their malformed lines are not warned about; nothing inside the window is lost; and malformed
/// totals under a filter say what they count.
@Suite struct LocalWindowTests {
    static func records(_ extra: [String]) throws -> (rows: [[String: Any]], stderr: String) {
        let run = try CLI.run(["records", "samples/firehose", "--fields", "file,line,arrival"] + extra)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        return (rows, run.stderr)
    }

    @Test func datedFoldersOutsideTheWindowAreNotReadAndNothingInsideIsLost() throws {
        let all = try Self.records([]).rows
        #expect(all.count > 50)
        // Windows cut at hours, days and months; the rows are those of the whole run whose arrival (RFC 3339 in UTC,
        // which sorts as text) falls inside, in the same order.
        let windows = [("2024-03-05T14:00:00.000Z", "2024-03-05T15:00:00.000Z"), ("2024-03-06T00:00:00.000Z", "2024-03-07T00:00:00.000Z"),
                       ("2024-03-05T09:30:00.000Z", "2025-12-31T00:00:00.000Z"), ("2017-01-01T00:00:00.000Z", "2019-07-01T00:00:00.000Z")]
        for (since, until) in windows {
            let expected = all.filter { row in
                guard let arrival = row["arrival"] as? String else { return false }
                return arrival >= since && arrival < until
            }
            let (got, stderr) = try Self.records(["--since", since, "--until", until])
            #expect(!expected.isEmpty)
            #expect(got.map { "\($0["file"] ?? "")#\($0["line"] ?? "")" } == expected.map { "\($0["file"] ?? "")#\($0["line"] ?? "")" }, "\(since) .. \(until)")
            #expect(stderr.contains("dated folders outside --since/--until skipped unread") || stderr.contains("dated folder outside"))
        }
        // The malformed lines of samples/firehose/mixed are in 2024/03/05/14: a window two days later (past the
        // slack a folder named in another time zone needs) does not read them.
        let (_, outside) = try Self.records(["--since", "2024-03-07T00:00:00Z", "--until", "2024-03-08T00:00:00Z"])
        #expect(!outside.contains("mixed/processing-failed") && !outside.contains("malformed"))
        let (_, inside) = try Self.records(["--since", "2024-03-05T14:00:00Z", "--until", "2024-03-05T15:00:00Z"])
        #expect(inside.contains("mixed/processing-failed/2024/03/05/14/") && inside.contains("malformed"))
    }

    @Test func malformedTotalsUnderAFilterSayWhatTheyCount() throws {
        let filtered = try CLI.run(["summarize", "samples/firehose", "--kind", "splunk"])
        #expect(filtered.stderr.contains("malformed lines are those of every file read"))
        let plain = try CLI.run(["summarize", "samples/firehose"])
        #expect(!plain.stderr.contains("malformed lines are those of every file read"))
        #expect(plain.stdout.contains(" 5 malformed") && filtered.stdout.contains(" 5 malformed"))
    }
}
