import Foundation
import Testing

/// Every target flag reaches the target that reads it (the flags are copied into one settings value).
@Suite struct BackfillSettingsTests {
    static func backfill(_ arguments: [String]) throws -> URL {
        let out = try CLI.temporaryDirectory().appendingPathComponent("out")
        let run = try CLI.run(["backfill", "-q", "--out", out.path] + arguments)
        #expect(run.status == 0, "\(run.stderr)")
        return out
    }

    @Test func redshiftFlagsShapeTheCopyStatement() throws {
        let out = try Self.backfill(["samples/firehose", "--target", "redshift", "--table", "public.events", "--iam-role", "arn:aws:iam::1:role/r",
                                     "--manifest-url", "s3://b/copy-manifest.json", "--copy-options", "FORMAT AS CSV"])
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let sql = try String(contentsOf: out.appendingPathComponent("copy.sql"), encoding: .utf8)
        for line in ["COPY public.events", "FROM 's3://b/copy-manifest.json'", "IAM_ROLE 'arn:aws:iam::1:role/r'", "FORMAT AS CSV"] {
            #expect(sql.contains(line + "\n"), "\(sql)")
        }
        let plain = try Self.backfill(["samples/firehose", "--target", "redshift", "--table", "t", "--iam-role", "r"])
        defer { try? FileManager.default.removeItem(at: plain.deletingLastPathComponent()) }
        #expect(try String(contentsOf: plain.appendingPathComponent("copy.sql"), encoding: .utf8).contains("FORMAT AS JSON 'auto'\n"))
    }

    @Test func eventBridgeFlagsSetBusAndSource() throws {
        let out = try Self.backfill(["samples/eventbridge-dlq", "--target", "eventbridge", "--event-bus", "replay-bus", "--source", "com.example.replay"])
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("eventbridge-00001.json"))) as? [[String: Any]])
        #expect(!entries.isEmpty)
        #expect(entries.allSatisfy { $0["EventBusName"] as? String == "replay-bus" && $0["Source"] as? String == "com.example.replay" })
    }

    /// samples/firehose holds three CloudWatch Logs records with events: with --explode only they are written.
    @Test func rawExplodeWritesEventMessages() throws {
        let exploded = try Self.backfill(["samples/firehose", "--target", "raw", "--explode"])
        let whole = try Self.backfill(["samples/firehose", "--target", "raw"])
        defer {
            try? FileManager.default.removeItem(at: exploded.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: whole.deletingLastPathComponent())
        }
        func manifest(_ out: URL) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("manifest.json"))) as? [String: Any])
        }
        #expect((try manifest(exploded)["totals"] as? [String: Any])?["written"] as? Int == 3)
        #expect((try manifest(whole)["totals"] as? [String: Any])?["written"] as? Int == 56)
    }
}
