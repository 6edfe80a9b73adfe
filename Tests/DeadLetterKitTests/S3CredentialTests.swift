import Foundation
import Testing

/// Credentials as a user's shell has them, through the binary: a temporary HOME with `~/.aws` files, the
/// environment, a `credential_process` script, a role assumed through moto's STS, IMDSv2 and container
/// credentials from scripts/stubs/metadata-stub.py. The S3 stub records which access key id signed each
/// request and a hash of each session token, so every test checks which credentials were used; and no run
/// prints a secret, even with --verbose.
@Suite struct S3CredentialTests {
    static let sample = CLI.packageRoot.appendingPathComponent("samples/firehose/bucket/splunk-failed")

    struct Setup {
        let home: URL
        let stub: LocalServer

        func write(_ path: String, _ text: String, executable: Bool = false) throws {
            let url = home.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
        }

        /// HOME is the temporary one, the S3 endpoint is the stub, nothing else of the machine's.
        func run(_ arguments: [String], _ variables: [String: String] = [:]) throws -> CLI.Result {
            var env = ["HOME": home.path, "AWS_ENDPOINT_URL_S3": stub.url, "AWS_REGION": "us-east-1"]
            for (k, v) in variables { env[k] = v }
            return try CLI.run(["summarize", "--format", "json", "--verbose", "s3://creds/"] + arguments, environment: env)
        }

        func auth() throws -> [String: Any] {
            try stub.stats()["auth"] as? [String: Any] ?? [:]
        }

        func keyIds() throws -> [String: Int] { try auth()["accessKeyIds"] as? [String: Int] ?? [:] }
        func tokenHashes() throws -> [String] { try auth()["tokenHashes"] as? [String] ?? [] }
    }

    static func setup() throws -> Setup {
        let home = try CLI.temporaryDirectory()
        let stub = try LocalServer(["python3", "scripts/stubs/s3-stub.py", "--root", sample.path, "--bucket", "creds"])
        return Setup(home: home, stub: stub)
    }

    /// The stub's hash of a token: the first 12 hex digits of its SHA-256, worked out here with Python.
    static func tokenHash(_ token: String) throws -> String {
        let (_, output) = try CLI.capture("/usr/bin/env", ["python3", "-c", "import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:12])", token])
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func expectNoSecret(_ run: CLI.Result, _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets {
            #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a secret was printed", sourceLocation: sourceLocation)
        }
    }

    static func expectSampleRead(_ run: CLI.Result, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(run.status == 0, "\(run.stderr)", sourceLocation: sourceLocation)
        #expect((try run.json()["totals"] as? [String: Any])?["records"] as? Int == 6, sourceLocation: sourceLocation)
    }

    @Test func environmentKeysWithASessionToken() throws {
        let s = try Self.setup()
        defer { try? FileManager.default.removeItem(at: s.home) }
        let run = try s.run([], ["AWS_ACCESS_KEY_ID": "AKIDFROMENV", "AWS_SECRET_ACCESS_KEY": "env-secret-x1", "AWS_SESSION_TOKEN": "env-token-x1"])
        try Self.expectSampleRead(run)
        #expect(try s.keyIds().keys.sorted() == ["AKIDFROMENV"])
        #expect(try s.tokenHashes() == [Self.tokenHash("env-token-x1")])
        #expect(run.stderr.contains("credentials: environment variables"))
        Self.expectNoSecret(run, ["env-secret-x1", "env-token-x1"])
    }

    @Test func profileFilesAndTheirOverrides() throws {
        let s = try Self.setup()
        defer { try? FileManager.default.removeItem(at: s.home) }
        try s.write(".aws/credentials", "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = default-secret-x2\n\n[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = prod-secret-x2\n")
        try s.write("elsewhere/creds", "[ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = ops-secret-x2\n")
        try Self.expectSampleRead(try s.run([]))
        try Self.expectSampleRead(try s.run(["--profile", "prod"], ["AWS_ACCESS_KEY_ID": "AKIDIGNORED", "AWS_SECRET_ACCESS_KEY": "ignored-x2"]))
        let viaVariable = try s.run([], ["AWS_PROFILE": "ops", "AWS_SHARED_CREDENTIALS_FILE": s.home.appendingPathComponent("elsewhere/creds").path])
        try Self.expectSampleRead(viaVariable)
        #expect(try s.keyIds().keys.sorted() == ["AKIDDEFAULT", "AKIDOPS", "AKIDPROD"])
        Self.expectNoSecret(viaVariable, ["ops-secret-x2", "default-secret-x2"])
        let missing = try s.run(["--profile", "nosuch"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nosuch"))
    }

    /// The script hands out a new session token each time it runs and counts its runs in a file: the stub
    /// rejects a token as expired 4 requests after first seeing it, so the run must renew mid-run and still
    /// count every record once.
    @Test func credentialProcessRenewedWhenTheTokenExpiresMidRun() throws {
        let home = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let corpusRoot = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: corpusRoot) }
        let (status, output) = try CLI.capture("/usr/bin/env", ["python3", "scripts/gen-corpus.py", "--out", corpusRoot.path, "--records", "2000", "--seed", "5"])
        #expect(status == 0, "\(output)")
        let corpus = corpusRoot.appendingPathComponent("corpus")
        let rules = corpusRoot.appendingPathComponent("faults.json")
        try #"[{"expired_token_after_requests": 4}]"#.write(to: rules, atomically: true, encoding: .utf8)
        let stub = try LocalServer(["python3", "scripts/stubs/s3-stub.py", "--root", corpus.path, "--bucket", "creds", "--faults", rules.path])
        let s = Setup(home: home, stub: stub)
        try s.write("bin/creds.sh", """
            #!/bin/sh
            n=$(cat "$HOME/runs" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$HOME/runs"
            printf '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "proc-secret-x3", "SessionToken": "proc-token-x3-%s", "Expiration": "2999-01-01T00:00:00Z"}\\n' $n
            """, executable: true)
        try s.write(".aws/config", "[profile batch]\ncredential_process = \(home.path)/bin/creds.sh\nregion = us-east-1\n")
        let run = try s.run(["--profile", "batch", "--s3-concurrency", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        let local = try CLI.run(["summarize", "--format", "json", corpus.path + "/"])
        #expect(run.stdout.replacingOccurrences(of: "s3://creds/", with: corpus.path + "/") == local.stdout)
        let runs = Int((try? String(contentsOf: home.appendingPathComponent("runs"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(runs >= 2)
        #expect(try s.tokenHashes().count == runs)
        #expect(run.stderr.contains("s3: credentials from credential_process of profile batch expired: renewing"))
        Self.expectNoSecret(run, ["proc-secret-x3", "proc-token-x3"])
    }

    @Test func aRoleAssumedThroughMotosSTS() throws {
        let s = try Self.setup()
        defer { try? FileManager.default.removeItem(at: s.home) }
        let moto = try LocalServer.moto()
        try s.write(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret-x4\n")
        try s.write(".aws/config", "[profile reader]\nrole_arn = arn:aws:iam::123456789012:role/failure-reader\nsource_profile = base\nrole_session_name = on-call\n")
        let run = try s.run(["--profile", "reader"], ["AWS_ENDPOINT_URL_STS": moto.url])
        try Self.expectSampleRead(run)
        // moto's temporary keys start with ASIA; the base keys never sign an S3 request.
        let keys = try s.keyIds().keys.sorted()
        #expect(keys.count == 1 && keys[0].hasPrefix("ASIA"), "\(keys)")
        #expect(try s.tokenHashes().count == 1)
        Self.expectNoSecret(run, ["base-secret-x4"])
    }

    @Test func instanceMetadataV2AndContainerCredentials() throws {
        let s = try Self.setup()
        defer { try? FileManager.default.removeItem(at: s.home) }
        try s.write("container-token", "container-auth-token-x5\n")
        let metadata = try LocalServer(["python3", "scripts/stubs/metadata-stub.py", "--require-auth", s.home.appendingPathComponent("container-token").path])
        let imds = try s.run([], ["AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": metadata.url])
        try Self.expectSampleRead(imds)
        let container = try s.run([], ["AWS_CONTAINER_CREDENTIALS_FULL_URI": metadata.url + "/container/creds",
                                       "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": s.home.appendingPathComponent("container-token").path])
        try Self.expectSampleRead(container)
        let keys = try s.keyIds().keys.sorted()
        #expect(keys.contains { $0.hasPrefix("ASIASTUBIMDS") } && keys.contains { $0.hasPrefix("ASIASTUBCONTAINER") }, "\(keys)")
        #expect(imds.stderr.contains("EC2 instance metadata"))
        for run in [imds, container] {
            Self.expectNoSecret(run, ["stub-secret-", "stub-token-", "container-auth-token-x5"])
        }
    }

    @Test func noCredentialsSaysWhereItLooked() throws {
        let s = try Self.setup()
        defer { try? FileManager.default.removeItem(at: s.home) }
        let run = try s.run([])
        #expect(run.status == 1)
        #expect(run.stderr.contains("s3://creds/: no AWS credentials found"))
        #expect(run.stderr.contains("--no-sign-request"))
        #expect(try s.keyIds().isEmpty)
        let unsigned = try s.run(["--no-sign-request"])
        try Self.expectSampleRead(unsigned)
        #expect((try s.auth()["withAuthorization"] as? Int) == 0)
    }
}
