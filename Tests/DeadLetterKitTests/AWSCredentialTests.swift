@testable import DeadLetterAWS
import DeadLetterSupport
import Foundation
import Testing

/// Credentials, region and endpoints as the AWS CLI finds them (issue 16). Expectations come from botocore's
/// documented chain, the AWS CLI's settings pages, and the stubs' own counts; servers are moto's and
/// scripts/stubs/metadata-stub.py, on 127.0.0.1 only.
struct AWSCredentialTests {
    // MARK: - Helpers

    /// A temporary HOME with `.aws/config` and `.aws/credentials` as given; removed with the value.
    final class Home: @unchecked Sendable {
        let path: String
        init(config: String? = nil, credentials: String? = nil) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("deadletter-creds-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path + "/.aws", withIntermediateDirectories: true)
            if let config { try write(".aws/config", config) }
            if let credentials { try write(".aws/credentials", credentials) }
        }
        func write(_ relative: String, _ text: String, executable: Bool = false) throws {
            let file = path + "/" + relative
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file) }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Instance metadata is off unless a test turns it on: nothing here may reach 169.254.169.254.
    static func environment(_ home: Home, _ variables: [String: String] = [:]) -> AWSEnvironment {
        var all = ["AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/local/bin:/usr/bin:/bin"]
        for (k, v) in variables { all[k] = v }
        return AWSEnvironment(variables: all, home: home.path)
    }

    static func options(profile: String? = nil, region: String? = nil, endpoint: String? = nil) -> AWSOptions {
        var o = AWSOptions()
        o.profile = profile
        o.region = region
        o.endpointURL = endpoint
        return o
    }

    /// An in-memory transport: answers from `handler`, every request kept.
    final class FakeTransport: HTTPTransport, @unchecked Sendable {
        private let lock = Lock()
        private var _requests: [HTTPRequest] = []
        let handler: @Sendable (HTTPRequest) throws(TransportError) -> (Int, String)
        init(_ handler: @escaping @Sendable (HTTPRequest) throws(TransportError) -> (Int, String)) { self.handler = handler }
        var requests: [HTTPRequest] { lock.withLock { _requests } }
        func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
            lock.withLock { _requests.append(request) }
            let (status, body) = try handler(request)
            return HTTPResponse(status: status, body: .bytes(Array(body.utf8)))
        }
    }

    static let never = FakeTransport { _ throws(TransportError) in throw .connect("no network in this test") }

    final class Lines: @unchecked Sendable {
        private let lock = Lock()
        private var _all: [String] = []
        var all: [String] { lock.withLock { _all } }
        var trace: AWSTrace { AWSTrace { line in self.lock.withLock { self._all.append(line) } } }
    }

    @Sendable static func realNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func resolve(_ options: AWSOptions, _ env: AWSEnvironment, transport: any HTTPTransport = never,
                        trace: AWSTrace = .off, now: @escaping @Sendable () -> Int64 = realNow) throws(AWSError) -> ResolvedAWS {
        try AWSSetup.resolve(options: options, environment: env, transport: transport, trace: trace, now: now)
    }

    static func credentials(_ resolved: ResolvedAWS) async throws -> AWSCredentials {
        try await #require(resolved.credentials).credentials()
    }

    /// The error `credentials()` throws; fails the test when it succeeds.
    static func failure(_ resolved: ResolvedAWS) async throws -> AWSError {
        do {
            let creds = try await #require(resolved.credentials).credentials()
            Issue.record("expected an error, got \(creds)")
            return AWSError(code: "none", message: "")
        } catch let error as AWSError {
            return error
        }
    }

    static func realTransport() -> AsyncHTTPTransport {
        AsyncHTTPTransport(connections: 4, connectTimeout: 2, readTimeout: 5)
    }

    static func stats(_ server: LocalServer) async throws -> [String: Any] {
        let answer = try await realTransport().send(HTTPRequest(method: "GET", url: try #require(HTTPURL(string: server.url + "/_stats"))))
        let body = try await answer.body.collect()
        return try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    // MARK: - INI files

    @Test func iniCommentsDelimitersAndKeyCase() throws {
        let ini = try INIFile(parsing: """
            # a comment
            ; another
            [default]
            AWS_Access_Key_ID = AKIDEXAMPLE
            region: eu-west-1
            key = value # not a comment
              ; indented comment line
            [ spaced ]
            a=b=c
            """)
        #expect(ini.sections["default"]?["aws_access_key_id"] == "AKIDEXAMPLE")
        #expect(ini.sections["default"]?["region"] == "eu-west-1")
        #expect(ini.sections["default"]?["key"] == "value # not a comment")
        #expect(ini.sections["spaced"]?["a"] == "b=c")
    }

    @Test func iniContinuationLinesAndNestedBlocks() throws {
        let ini = try INIFile(parsing: "[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n  addressing_style = path\nsqs = x\n")
        let block = try #require(ini.sections["services local"]?["s3"])
        #expect(block == "\nendpoint_url = http://127.0.0.1:9000\naddressing_style = path")
        #expect(INIFile.nested(block)["endpoint_url"] == "http://127.0.0.1:9000")
        #expect(ini.sections["services local"]?["sqs"] == "x")
    }

    @Test func iniRejectsSettingsBeforeASection() {
        #expect(throws: INIFile.ParseError(line: 2, reason: "a setting before any [section] header")) {
            try INIFile(parsing: "\nkey = value\n[default]\n")
        }
    }

    @Test func configSectionsNeedTheProfilePrefixButCredentialsDoNot() throws {
        let home = try Home(config: "[profile a]\nregion = r-a\n[b]\nregion = r-b\n[default]\nregion = plain\n[profile default]\nregion = prefixed\n",
                            credentials: "[c]\naws_access_key_id = AKIDC\naws_secret_access_key = sc\n[profile d]\nx = 1\n")
        let files = try AWSConfigFiles.load(Self.environment(home))
        #expect(files.configProfiles["a"]?["region"] == "r-a")
        #expect(files.configProfiles["b"] == nil)
        #expect(files.configProfiles["default"]?["region"] == "prefixed")
        #expect(files.credentialProfiles["c"]?["aws_access_key_id"] == "AKIDC")
        #expect(files.credentialProfiles["profile d"]?["x"] == "1")
    }

    @Test func malformedFileNamesItsPathAndLine() throws {
        let home = try Home(config: "[default]\nno delimiter here\n")
        #expect(throws: AWSError(code: "InvalidConfiguration",
                                 message: "cannot parse the AWS settings file \(home.path)/.aws/config, line 2: expected key = value")) {
            try Self.resolve(Self.options(), Self.environment(home))
        }
    }

    // MARK: - Chain order

    static let twoProfiles = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secret-default\n"
        + "[prod]\naws_access_key_id = AKIDPROD\naws_secret_access_key = secret-prod\n"

    @Test func environmentKeysComeFirst() async throws {
        let home = try Home(credentials: Self.twoProfiles)
        let env = Self.environment(home, ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_SESSION_TOKEN": "token-env"])
        let resolved = try Self.resolve(Self.options(), env)
        let creds = try await Self.credentials(resolved)
        #expect(creds == AWSCredentials(accessKeyId: "AKIDENV", secretAccessKey: "secret-env", sessionToken: "token-env"))
        #expect(resolved.credentials?.source == "environment variables (AWS_ACCESS_KEY_ID)")
        #expect(resolved.profile == "default")
    }

    @Test func awsProfileDoesNotOutrankEnvironmentKeys() async throws {
        let home = try Home(credentials: Self.twoProfiles)
        let env = Self.environment(home, ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_PROFILE": "prod"])
        let resolved = try Self.resolve(Self.options(), env)
        #expect(try await Self.credentials(resolved).accessKeyId == "AKIDENV")
        #expect(resolved.profile == "prod")
    }

    @Test func explicitProfileOutranksEnvironmentKeys() async throws {
        let home = try Home(credentials: Self.twoProfiles)
        let env = Self.environment(home, ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env"])
        let resolved = try Self.resolve(Self.options(profile: "prod"), env)
        #expect(try await Self.credentials(resolved) == AWSCredentials(accessKeyId: "AKIDPROD", secretAccessKey: "secret-prod"))
        #expect(resolved.credentials?.source == "profile prod (\(home.path)/.aws/credentials)")
    }

    @Test func credentialsFileKeysOutrankConfigFileKeys() async throws {
        let home = try Home(config: "[profile prod]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = secret-config\nregion = eu-west-3\n",
                            credentials: Self.twoProfiles)
        let resolved = try Self.resolve(Self.options(), Self.environment(home, ["AWS_PROFILE": "prod"]))
        #expect(try await Self.credentials(resolved).accessKeyId == "AKIDPROD")
        #expect(resolved.region == "eu-west-3")
    }

    @Test func configFileKeysAndCustomFilePaths() async throws {
        let home = try Home()
        try home.write("elsewhere.ini", "[profile x]\naws_access_key_id = AKIDX\naws_secret_access_key = sx\n")
        let env = Self.environment(home, ["AWS_CONFIG_FILE": "~/elsewhere.ini", "AWS_SHARED_CREDENTIALS_FILE": home.path + "/none"])
        let resolved = try Self.resolve(Self.options(profile: "x"), env)
        #expect(try await Self.credentials(resolved).accessKeyId == "AKIDX")
        #expect(resolved.credentials?.source == "profile x (\(home.path)/elsewhere.ini)")
    }

    @Test func missingNamedProfileListsTheFiles() throws {
        let home = try Home(credentials: Self.twoProfiles)
        do {
            _ = try Self.resolve(Self.options(profile: "nope"), Self.environment(home))
            Issue.record("expected ProfileNotFound")
        } catch {
            #expect(error.code == "ProfileNotFound")
            #expect(error.message.contains("nope"))
            #expect(error.message.contains("--profile"))
            #expect(error.message.contains("\(home.path)/.aws/credentials and \(home.path)/.aws/config"))
        }
    }

    @Test func regionOrder() throws {
        let home = try Home(config: "[default]\nregion = from-profile\n")
        func region(_ options: AWSOptions, _ vars: [String: String]) throws -> String? {
            try Self.resolve(options, Self.environment(home, vars)).region
        }
        let both = ["AWS_REGION": "from-region", "AWS_DEFAULT_REGION": "from-default"]
        #expect(try region(Self.options(region: "from-flag"), both) == "from-flag")
        #expect(try region(Self.options(), both) == "from-region")
        #expect(try region(Self.options(), ["AWS_DEFAULT_REGION": "from-default"]) == "from-default")
        #expect(try region(Self.options(), [:]) == "from-profile")
        let bare = try Home()
        #expect(try Self.resolve(Self.options(), Self.environment(bare)).region == nil)
    }

    @Test func noSignRequestHasNoCredentials() throws {
        let home = try Home(credentials: Self.twoProfiles)
        var options = Self.options()
        options.noSignRequest = true
        #expect(try Self.resolve(options, Self.environment(home)).credentials == nil)
    }

    @Test func noCredentialsSaysWhereItLookedAndWhatToDo() async throws {
        let home = try Home(config: "[default]\nregion = us-west-2\n")
        let resolved = try Self.resolve(Self.options(), Self.environment(home))
        let error = try await Self.failure(resolved)
        #expect(error.code == "NoCredentials")
        for part in ["AWS_ACCESS_KEY_ID", "profile default in \(home.path)/.aws/credentials", "container credentials",
                     "EC2 instance metadata", "aws configure", "--profile", "--no-sign-request",
                     "credential_process = aws configure export-credentials --profile default --format process"] {
            #expect(error.message.contains(part), "missing \(part)")
        }
    }

    @Test func instanceMetadataThatDoesNotAnswerIsNoCredentials() async throws {
        let home = try Home()
        var vars = Self.environment(home).variables
        vars["AWS_EC2_METADATA_DISABLED"] = nil
        vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9"
        let transport = FakeTransport { _ throws(TransportError) in throw .connect("refused") }
        let resolved = try Self.resolve(Self.options(), AWSEnvironment(variables: vars, home: home.path), transport: transport)
        #expect(resolved.credentials?.source == "EC2 instance metadata")
        let error = try await Self.failure(resolved)
        #expect(error.code == "NoCredentials")
        #expect(error.message.contains("no answer from instance metadata at http://127.0.0.1:9"))
        #expect(error.message.contains("aws configure"))
        #expect(transport.requests.map(\.method) == ["PUT"])
    }

    @Test func ssoProfileSuggestsCredentialProcess() throws {
        let home = try Home(config: "[profile corp]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n")
        do {
            _ = try Self.resolve(Self.options(profile: "corp"), Self.environment(home))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("credential_process = aws configure export-credentials --profile corp --format process"))
        }
    }

    @Test func sourceProfileLoopIsAnError() throws {
        let home = try Home(config: "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                                + "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n")
        #expect(throws: AWSError(code: "InvalidConfiguration", message: "source_profile loop: a -> b -> a")) {
            try Self.resolve(Self.options(profile: "a"), Self.environment(home))
        }
    }

    @Test func partialEnvironmentKeysAreAnError() throws {
        let home = try Home()
        #expect(throws: AWSError.self) {
            try Self.resolve(Self.options(), Self.environment(home, ["AWS_ACCESS_KEY_ID": "AKID"]))
        }
    }

    @Test func staticKeysCannotRenew() async throws {
        let home = try Home(credentials: Self.twoProfiles)
        let provider = try #require(try Self.resolve(Self.options(profile: "prod"), Self.environment(home)).credentials)
        let creds = try await provider.credentials()
        do {
            _ = try await provider.renew(after: creds)
            Issue.record("expected ExpiredToken")
        } catch {
            #expect(error.code == "ExpiredToken")
            #expect(error.message.contains("profile prod (\(home.path)/.aws/credentials)"))
            #expect(!error.message.contains("secret-prod"))
        }
    }

    // MARK: - Endpoints

    @Test func endpointOrder() throws {
        let home = try Home(config: "[default]\nendpoint_url = http://127.0.0.1:1001\nservices = local\n"
                                + "[services local]\nsqs =\n  endpoint_url = http://127.0.0.1:1002\n")
        func endpoint(_ service: String, _ flag: String?, _ vars: [String: String]) throws -> String? {
            try AWSSetup.endpoint(for: service, options: Self.options(endpoint: flag), environment: Self.environment(home, vars))?.description
        }
        let all = ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:2001", "AWS_ENDPOINT_URL": "http://127.0.0.1:2002"]
        #expect(try endpoint("s3", "http://127.0.0.1:3000", all) == "http://127.0.0.1:3000/")
        #expect(try endpoint("s3", nil, all) == "http://127.0.0.1:2001/")
        #expect(try endpoint("sqs", nil, all) == "http://127.0.0.1:2002/")
        #expect(try endpoint("sqs", nil, [:]) == "http://127.0.0.1:1002/")
        #expect(try endpoint("s3", nil, [:]) == "http://127.0.0.1:1001/")
        #expect(try endpoint("events", nil, ["AWS_ENDPOINT_URL_EVENTBRIDGE": "http://127.0.0.1:4000"]) == "http://127.0.0.1:4000/")
        #expect(try endpoint("s3", nil, all.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { a, _ in a }) == nil)
        #expect(try endpoint("s3", "http://127.0.0.1:3000", ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) == "http://127.0.0.1:3000/")
        #expect(try AWSSetup.endpoint(for: "s3", options: Self.options(), environment: Self.environment(try Home())) == nil)
    }

    @Test func invalidEndpointNamesWhereItWasSet() throws {
        let home = try Home()
        #expect(throws: AWSError(code: "InvalidConfiguration", message: "AWS_ENDPOINT_URL_FIREHOSE is not an http:// or https:// URL: ftp://x")) {
            try AWSSetup.endpoint(for: "firehose", options: Self.options(), environment: Self.environment(home, ["AWS_ENDPOINT_URL_FIREHOSE": "ftp://x"]))
        }
        #expect(throws: AWSError(code: "InvalidConfiguration", message: "--endpoint-url is not an http:// or https:// URL: nope")) {
            try AWSSetup.endpoint(for: "s3", options: Self.options(endpoint: "nope"), environment: Self.environment(home))
        }
    }

    // MARK: - credential_process

    @Test func shlexSplit() {
        #expect(CredentialProcess.split(#"a "b c" 'd "e' f\ g "h\"i" "j\k""#) == ["a", "b c", #"d "e"#, "f g", #"h"i"#, #"j\k"#])
        #expect(CredentialProcess.split("a 'b") == nil)
        #expect(CredentialProcess.split("  ") == [])
    }

    @Test func credentialProcessRunsWithoutAShell() async throws {
        let home = try Home()
        // The script echoes its second argument, so the quoted word must arrive whole and unexpanded.
        try home.write("creds.sh", """
            #!/bin/sh
            printf '{"Version": 1, "AccessKeyId": "AKIDPROC", "SecretAccessKey": "proc-secret", "SessionToken": "%s", "Expiration": "2999-01-01T00:00:00Z"}' "$2"
            """, executable: true)
        try home.write(".aws/config", "[profile dev]\ncredential_process = \(home.path)/creds.sh one 'two $HOME words'\n")
        let resolved = try Self.resolve(Self.options(profile: "dev"), Self.environment(home))
        #expect(resolved.credentials?.source == "credential_process of profile dev")
        let creds = try await Self.credentials(resolved)
        #expect(creds == AWSCredentials(accessKeyId: "AKIDPROC", secretAccessKey: "proc-secret", sessionToken: "two $HOME words"))
    }

    @Test func failingCredentialProcessShowsStderrButNeverStdout() async throws {
        let home = try Home()
        try home.write("fail.sh", """
            #!/bin/sh
            echo '{"Version": 1, "AccessKeyId": "AKIDLEAK", "SecretAccessKey": "stdout-secret-value"}'
            printf 'token expired:\\trun aws sso login\\n' >&2
            exit 3
            """, executable: true)
        try home.write(".aws/config", "[default]\ncredential_process = \(home.path)/fail.sh\n")
        let resolved = try Self.resolve(Self.options(), Self.environment(home))
        let error = try await Self.failure(resolved)
        #expect(error.message == #"the credential_process of profile default exited with status 3: token expired:\trun aws sso login"#)
        #expect(!error.message.contains("stdout-secret-value"))
        #expect(!error.message.contains("AKIDLEAK"))
    }

    @Test func credentialProcessWithBadJSONDoesNotEchoIt() async throws {
        let home = try Home()
        try home.write("bad.sh", "#!/bin/sh\necho 'AccessKeyId=AKID SecretAccessKey=printed-secret'\n", executable: true)
        try home.write(".aws/config", "[default]\ncredential_process = \(home.path)/bad.sh\n")
        let resolved = try Self.resolve(Self.options(), Self.environment(home))
        await #expect { try await Self.credentials(resolved) } throws: { error in
            let text = "\(error)"
            return text.contains("did not answer with a JSON object") && !text.contains("printed-secret")
        }
    }

    // MARK: - AssumeRole (in memory, then moto)

    static let assumeRoleAnswer = """
        <AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
        <Credentials><AccessKeyId>ASIAFAKE</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey>
        <SessionToken>assumed-token</SessionToken><Expiration>2999-01-01T00:00:00Z</Expiration></Credentials>
        </AssumeRoleResult></AssumeRoleResponse>
        """

    @Test func assumeRoleRequestIsASignedForm() async throws {
        let home = try Home(config: "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n"
                                + "external_id = ext 1\nduration_seconds = 900\nrole_session_name = me\nregion = eu-west-1\n",
                            credentials: "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n")
        let transport = FakeTransport { _ throws(TransportError) in (200, Self.assumeRoleAnswer) }
        let env = Self.environment(home, ["AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5555"])
        let resolved = try Self.resolve(Self.options(profile: "role"), env, transport: transport)
        #expect(resolved.credentials?.source == "role arn:aws:iam::123456789012:role/r assumed with profile base")
        #expect(transport.requests.isEmpty, "resolving fetches nothing")
        let creds = try await Self.credentials(resolved)
        #expect(creds == AWSCredentials(accessKeyId: "ASIAFAKE", secretAccessKey: "assumed-secret", sessionToken: "assumed-token"))
        let request = try #require(transport.requests.first)
        #expect(transport.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.url.description == "http://127.0.0.1:5555/")
        #expect(String(decoding: request.body, as: UTF8.self)
            == "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=me&ExternalId=ext%201&DurationSeconds=900")
        let authorization = try #require(request.header("Authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDBASE/"))
        #expect(authorization.contains("/eu-west-1/sts/aws4_request"))
        // Cached: a second call within the expiry fetches nothing.
        _ = try await Self.credentials(resolved)
        #expect(transport.requests.count == 1)
    }

    @Test func assumeRoleErrorCarriesTheCodeAndNoSecret() async throws {
        let home = try Home(config: "[default]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n")
        let transport = FakeTransport { _ throws(TransportError) in
            (403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>")
        }
        let env = Self.environment(home, ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret",
                                          "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5555"])
        let resolved = try Self.resolve(Self.options(profile: "default"), env, transport: transport)
        #expect(resolved.credentials?.source == "role arn:aws:iam::1:role/r assumed with Environment credentials")
        let error = try await Self.failure(resolved)
        #expect(error.code == "AccessDenied")
        #expect(error.status == 403)
        #expect(error.message.contains("not allowed"))
        #expect(!error.message.contains("env-secret"))
    }

    /// GetCallerIdentity through boto3 with the keys moto handed out: moto answers the assumed role's ARN only
    /// for keys its STS issued, so this proves the AssumeRole call reached moto and the keys are its.
    static func callerIdentity(_ creds: AWSCredentials, moto: LocalServer) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import boto3
            print(boto3.client('sts', endpoint_url='\(moto.url)', region_name='us-east-1').get_caller_identity()['Arn'])
            """]
        // The test's own environment (where python3 and boto3 are), without its AWS settings.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
        env["AWS_ACCESS_KEY_ID"] = creds.accessKeyId
        env["AWS_SECRET_ACCESS_KEY"] = creds.secretAccessKey
        env["AWS_SESSION_TOKEN"] = creds.sessionToken ?? ""
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        let err = Pipe()
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        // botocore's error text names the failing call, never the keys; its last line explains a failure.
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 { return "boto3 failed: " + (problem.split(separator: "\n").last.map(String.init) ?? "") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let baseProfile = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n"

    /// Resolves `profile` against moto's STS (reached through `endpointVariable`), fetches its keys and asks
    /// moto who they belong to.
    static func assumedThroughMoto(config: String, profile: String, endpointVariable: String,
                                   trace: AWSTrace = .off) async throws -> (ResolvedAWS, AWSCredentials, String) {
        let moto = try LocalServer.moto()
        defer { moto.stop() }
        let home = try Home(config: config, credentials: baseProfile)
        let resolved = try resolve(options(profile: profile), environment(home, [endpointVariable: moto.url]),
                                   transport: realTransport(), trace: trace)
        let creds = try await credentials(resolved)
        return (resolved, creds, try callerIdentity(creds, moto: moto))
    }

    @Test func assumeRoleThroughMoto() async throws {
        let lines = Lines()
        let (resolved, creds, arn) = try await Self.assumedThroughMoto(
            config: "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/reader\nsource_profile = base\nrole_session_name = dl-test\n",
            profile: "role", endpointVariable: "AWS_ENDPOINT_URL_STS", trace: lines.trace)
        #expect(creds.accessKeyId.hasPrefix("ASIA"))
        #expect(creds.sessionToken != nil)
        #expect(arn == "arn:aws:sts::123456789012:assumed-role/reader/dl-test")
        #expect(resolved.credentials?.source == "role arn:aws:iam::123456789012:role/reader assumed with profile base")
        #expect(lines.all.contains { $0.contains("STS AssumeRole answered 200") })
        for line in lines.all {
            #expect(!line.contains(creds.secretAccessKey) && !line.contains(creds.sessionToken ?? "-") && !line.contains("base-secret"))
        }
    }

    @Test func chainedRolesThroughMoto() async throws {
        let (_, _, arn) = try await Self.assumedThroughMoto(
            config: "[profile outer]\nrole_arn = arn:aws:iam::123456789012:role/outer\nsource_profile = inner\nrole_session_name = o\n"
                + "[profile inner]\nrole_arn = arn:aws:iam::123456789012:role/inner\nsource_profile = base\n",
            profile: "outer", endpointVariable: "AWS_ENDPOINT_URL")
        #expect(arn == "arn:aws:sts::123456789012:assumed-role/outer/o")
    }

    @Test func webIdentityThroughMoto() async throws {
        let moto = try LocalServer.moto()
        defer { moto.stop() }
        let home = try Home()
        try home.write("token.jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.\n")
        try home.write(".aws/config", "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\n"
                           + "web_identity_token_file = ~/token.jwt\nrole_session_name = w1\n")
        let resolved = try Self.resolve(Self.options(profile: "web"), Self.environment(home, ["AWS_ENDPOINT_URL_STS": moto.url]),
                                        transport: Self.realTransport())
        #expect(resolved.credentials?.source == "role arn:aws:iam::123456789012:role/web assumed with web identity token file \(home.path)/token.jwt")
        let creds = try await Self.credentials(resolved)
        #expect(creds.accessKeyId.hasPrefix("ASIA"))
        #expect(creds.sessionToken != nil)
    }

    @Test func webIdentityIsUnsigned() async throws {
        let home = try Home()
        try home.write("token.jwt", "the-jwt")
        let answer = Self.assumeRoleAnswer.replacingOccurrences(of: "AssumeRole", with: "AssumeRoleWithWebIdentity")
        let transport = FakeTransport { _ throws(TransportError) in (200, answer) }
        let env = Self.environment(home, ["AWS_ROLE_ARN": "arn:aws:iam::1:role/w", "AWS_WEB_IDENTITY_TOKEN_FILE": home.path + "/token.jwt",
                                          "AWS_ROLE_SESSION_NAME": "s", "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:5555"])
        let resolved = try Self.resolve(Self.options(), env, transport: transport)
        #expect(try await Self.credentials(resolved).accessKeyId == "ASIAFAKE")
        let request = try #require(transport.requests.first)
        #expect(request.header("Authorization") == nil)
        #expect(String(decoding: request.body, as: UTF8.self).hasSuffix("&RoleSessionName=s&WebIdentityToken=the-jwt"))
    }

    // MARK: - Container and instance metadata (stub)

    @Test func containerCredentialsRereadTheTokenFile() async throws {
        let home = try Home()
        try home.write("auth", "Bearer first-auth-token\n")
        let server = try LocalServer(["python3", "scripts/stubs/metadata-stub.py", "--require-auth", home.path + "/auth"])
        defer { server.stop() }
        let env = Self.environment(home, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": server.url + "/container/creds",
                                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": home.path + "/auth",
                                          "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ignored-when-file-set"])
        let resolved = try Self.resolve(Self.options(), env, transport: Self.realTransport())
        #expect(resolved.credentials?.source == "container credentials")
        let first = try await Self.credentials(resolved)
        #expect(first == AWSCredentials(accessKeyId: "ASIASTUBCONTAINER1", secretAccessKey: "stub-secret-container-1",
                                        sessionToken: "stub-token-container-1"))
        try home.write("auth", "Bearer second-auth-token\n")
        let renewed = try await #require(resolved.credentials).renew(after: first)
        #expect(renewed.accessKeyId == "ASIASTUBCONTAINER2")
        let stats = try await Self.stats(server)
        #expect(stats["authorizations"] as? [String] == ["Bearer first-auth-token", "Bearer second-auth-token"])
        #expect(stats["unauthorized"] as? Int == 0)
    }

    @Test func containerFullURIOverPlainHTTPMustBeLoopback() throws {
        let home = try Home()
        #expect(throws: AWSError.self) {
            try Self.resolve(Self.options(), Self.environment(home, ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"]))
        }
    }

    static func imdsEnvironment(_ home: Home, _ server: LocalServer) -> AWSEnvironment {
        var vars = environment(home).variables
        vars["AWS_EC2_METADATA_DISABLED"] = nil
        vars["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server.url
        return AWSEnvironment(variables: vars, home: home.path)
    }

    @Test func instanceMetadataV2UsesATokenAndCachesLongLivedKeys() async throws {
        let server = try LocalServer(["python3", "scripts/stubs/metadata-stub.py"])
        defer { server.stop() }
        let home = try Home()
        let resolved = try Self.resolve(Self.options(), Self.imdsEnvironment(home, server), transport: Self.realTransport())
        #expect(resolved.credentials?.source == "EC2 instance metadata")
        let first = try await Self.credentials(resolved)
        let second = try await Self.credentials(resolved)
        #expect(first == AWSCredentials(accessKeyId: "ASIASTUBIMDS1", secretAccessKey: "stub-secret-imds-1", sessionToken: "stub-token-imds-1"))
        #expect(second == first)
        let stats = try await Self.stats(server)
        #expect(stats["token_puts"] as? Int == 1)
        #expect(stats["token_puts_without_ttl"] as? Int == 0)
        #expect(stats["role_lists"] as? Int == 1)
        #expect(stats["role_gets"] as? Int == 1)
        #expect(stats["unauthorized"] as? Int == 0)
    }

    @Test func instanceMetadataKeysCloseToExpiryAreRefreshed() async throws {
        // Two minutes left: under the five-minute margin, so every call fetches anew.
        let server = try LocalServer(["python3", "scripts/stubs/metadata-stub.py", "--expiry-seconds", "120"])
        defer { server.stop() }
        let home = try Home()
        let resolved = try Self.resolve(Self.options(), Self.imdsEnvironment(home, server), transport: Self.realTransport())
        #expect(try await Self.credentials(resolved).accessKeyId == "ASIASTUBIMDS1")
        #expect(try await Self.credentials(resolved).accessKeyId == "ASIASTUBIMDS2")
        let stats = try await Self.stats(server)
        #expect(stats["role_gets"] as? Int == 2)
        #expect(stats["token_puts"] as? Int == 2)
    }

    @Test func instanceMetadataV1WhenTokensAreRefused() async throws {
        let server = try LocalServer(["python3", "scripts/stubs/metadata-stub.py", "--imds-v1"])
        defer { server.stop() }
        let home = try Home()
        let resolved = try Self.resolve(Self.options(), Self.imdsEnvironment(home, server), transport: Self.realTransport())
        #expect(try await Self.credentials(resolved).accessKeyId == "ASIASTUBIMDS1")
    }

    // MARK: - Refreshing

    final class Clock: @unchecked Sendable {
        private let lock = Lock()
        private var value: Int64 = 1_000_000_000_000
        var now: Int64 { lock.withLock { value } }
        func advance(_ millis: Int64) { lock.withLock { value += millis } }
    }

    final class Counter: @unchecked Sendable {
        private let lock = Lock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
        var count: Int { lock.withLock { value } }
    }

    static func refreshing(_ clock: Clock, _ counter: Counter, lifetime: Int64 = 3_600_000, delay: UInt64 = 0) -> RefreshingCredentials {
        RefreshingCredentials(source: "test", now: { clock.now }) { () async throws(AWSError) -> FetchedCredentials in
            let n = counter.next()
            if delay > 0 { try? await Task.sleep(nanoseconds: delay) }
            return FetchedCredentials(credentials: AWSCredentials(accessKeyId: "ASIA\(n)", secretAccessKey: "s\(n)", sessionToken: "t\(n)"),
                                      expiration: clock.now + lifetime)
        }
    }

    @Test func refreshesWhenFewerThanFiveMinutesRemain() async throws {
        let clock = Clock(), counter = Counter()
        let provider = Self.refreshing(clock, counter)
        #expect(try await provider.credentials().accessKeyId == "ASIA1")
        clock.advance(54 * 60_000)  // 6 minutes left: reused
        #expect(try await provider.credentials().accessKeyId == "ASIA1")
        clock.advance(2 * 60_000)   // 4 minutes left: refreshed
        #expect(try await provider.credentials().accessKeyId == "ASIA2")
        #expect(counter.count == 2)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let clock = Clock(), counter = Counter()
        let provider = Self.refreshing(clock, counter, delay: 50_000_000)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await provider.credentials().accessKeyId } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids == ["ASIA1"])
        #expect(counter.count == 1)
    }

    @Test func renewAfterRejectedKeys() async throws {
        let clock = Clock(), counter = Counter()
        let provider = Self.refreshing(clock, counter)
        let first = try await provider.credentials()
        let second = try await provider.renew(after: first)
        #expect(second.accessKeyId == "ASIA2")
        // Another request still holding the first keys: gets the second, no new fetch.
        #expect(try await provider.renew(after: first) == second)
        #expect(counter.count == 2)
    }

    @Test func failedRefreshKeepsKeysThatStillWork() async throws {
        let clock = Clock(), counter = Counter()
        let provider = RefreshingCredentials(source: "test", now: { clock.now }) { () async throws(AWSError) -> FetchedCredentials in
            if counter.next() > 1 { throw AWSError(code: "Transport", message: "down") }
            return FetchedCredentials(credentials: AWSCredentials(accessKeyId: "ASIA1", secretAccessKey: "s"), expiration: clock.now + 600_000)
        }
        _ = try await provider.credentials()
        clock.advance(6 * 60_000)  // 4 minutes left: refresh fails, old keys still good
        #expect(try await provider.credentials().accessKeyId == "ASIA1")
        clock.advance(3 * 60_000 + 30_000)  // 30 s left: the failure surfaces
        await #expect(throws: AWSError(code: "Transport", message: "down")) { try await provider.credentials() }
    }

    // MARK: - Secrets

    @Test func noSecretInAnySourceErrorOrTrace() async throws {
        let secrets = ["secret-default", "secret-prod", "secret-env", "token-env"]
        let home = try Home(config: "[profile broken]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = prod\n",
                            credentials: Self.twoProfiles)
        let lines = Lines()
        var texts: [String] = []
        let env = Self.environment(home, ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "secret-env", "AWS_SESSION_TOKEN": "token-env",
                                          "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"])
        for profile in [nil, "default", "prod", "broken"] {
            let resolved = try Self.resolve(Self.options(profile: profile), env, trace: lines.trace)
            let provider = try #require(resolved.credentials)
            texts.append(provider.source)
            do {
                let creds = try await provider.credentials()
                texts.append("\(creds)")
                _ = try await provider.renew(after: creds)
            } catch {
                texts.append(error.message)
                texts.append("\(error)")
            }
        }
        texts += lines.all
        #expect(texts.count > 8)
        for text in texts {
            for secret in secrets { #expect(!text.contains(secret), "a secret in: \(text)") }
        }
    }
}
