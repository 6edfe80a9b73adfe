import DeadLetterAWS
import DeadLetterBytes
import DeadLetterInput
import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The AWS options of every command that reads inputs (for `s3://` paths) or sends. They follow the AWS CLI: the
/// same names, the same environment variables and files. No option carries a secret (the process list is
/// public): keys come from the environment, the profile files or a credential source.
struct AWSFlags: ParsableArguments {
    @Option(help: ArgumentHelp("AWS profile (default: AWS_PROFILE, else default), from ~/.aws/config and ~/.aws/credentials.", valueName: "name"))
    var profile: String?

    @Option(help: ArgumentHelp("AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's, else us-east-1); a bucket in another region is followed.", valueName: "region"))
    var region: String?

    @Option(help: ArgumentHelp("Send AWS requests here instead of AWS (moto, MinIO, LocalStack; S3 path-style); also AWS_ENDPOINT_URL_S3, _FIREHOSE, _EVENTBRIDGE, AWS_ENDPOINT_URL.", valueName: "url"))
    var endpointUrl: String?

    @Flag(help: "Send unsigned requests (public buckets); no credentials are looked for.")
    var noSignRequest = false

    @Option(help: ArgumentHelp("S3 objects downloaded at once, ahead of reading (1 to 1024).", valueName: "n"))
    var s3Concurrency: Int = 80

    @Option(help: ArgumentHelp("Seconds without a byte from a server before its request counts as failed (and is retried).", valueName: "seconds"))
    var readTimeout: Double = 30

    @Flag(help: "Trace every request, answer and retry on stderr (never a secret).")
    var verbose = false

    @Flag(help: "Read an SQS queue that has a RedrivePolicy of its own (each receive counts toward its maxReceiveCount).")
    var allowReceiveCount = false

    func validate() throws {
        guard (1...1024).contains(s3Concurrency) else {
            throw ValidationError("--s3-concurrency must be from 1 to 1024, not \(s3Concurrency)")
        }
        guard readTimeout > 0, readTimeout <= 3600 else {
            throw ValidationError("--read-timeout must be above 0 and at most 3600 seconds")
        }
        if let endpointUrl, HTTPURL(string: endpointUrl) == nil {
            throw ValidationError("--endpoint-url: '\(TerminalText.escape(endpointUrl))' is not an http:// or https:// URL")
        }
    }

    /// The flags as options, and what the environment adds to them (`AWS_MAX_ATTEMPTS`, as the AWS CLI reads it).
    func options(environment: AWSEnvironment) -> AWSOptions {
        Self.applying(environment, to: flagOptions())
    }

    private func flagOptions() -> AWSOptions {
        var options = AWSOptions()
        options.profile = profile
        options.region = region
        options.endpointURL = endpointUrl
        options.noSignRequest = noSignRequest
        options.s3Concurrency = s3Concurrency
        options.verbose = verbose
        options.readTimeout = readTimeout
        return options
    }

    private static func applying(_ environment: AWSEnvironment, to flags: AWSOptions) -> AWSOptions {
        var options = flags
        if let attempts = environment["AWS_MAX_ATTEMPTS"].flatMap(Int.init), attempts >= 1 {
            options.maxAttempts = min(attempts, 20)
        }
        return options
    }

    /// The `s3://` source, built lazily: nothing here reads the environment, AWS settings or credentials until
    /// an `s3://` argument is listed, so a local run pays nothing for it.
    /// The `s3://` and `sqs://` sources, built lazily: nothing here reads the environment, AWS settings or
    /// credentials until such an argument is listed, so a local run pays nothing for them. `paths` decides
    /// whether Ctrl-C must make received SQS messages visible again: that handling is installed now, before
    /// any thread starts, and only then.
    func remoteSources(window: TimeWindow?, paths: [String]) -> RemoteSources {
        let flags = flagOptions()
        var sqs = SQSInputSettings(makeClient: { () throws(AWSError) -> SQSClient in
            let environment = AWSEnvironment.process()
            return try Self.makeSQSClient(Self.applying(environment, to: flags), environment)
        })
        sqs.allowReceiveCount = allowReceiveCount
        if paths.contains(where: { $0.hasPrefix("sqs://") || SQSQueueName.isQueueURL($0) }) {
            sqs.interrupts = Self.installInterrupts()
        }
        let queues = sqs
        return {
            [S3Objects(S3InputSettings(makeClient: { () throws(AWSError) -> S3Client in
                let environment = AWSEnvironment.process()
                return try Self.makeClient(Self.applying(environment, to: flags), environment)
            }, window: window, concurrency: flags.s3Concurrency)),
             SQSQueues(queues)]
        }
    }

    nonisolated(unsafe) private static var interrupts: (cleanup: InterruptCleanup, handling: InterruptHandling)?

    /// The process's interrupt handling for cleanups that reach AWS; installed once, kept for the process.
    static func installInterrupts() -> InterruptCleanup {
        if let interrupts { return interrupts.cleanup }
        let cleanup = InterruptCleanup()
        interrupts = (cleanup, InterruptHandling(running: cleanup))
        return cleanup
    }

    static func makeSQSClient(_ options: AWSOptions, _ environment: AWSEnvironment) throws(AWSError) -> SQSClient {
        try SQSClient.open(options: options, environment: environment, trace: options.verbose ? AWSTrace(Self.traceLine) : .off)
    }

    static func makeClient(_ options: AWSOptions, _ environment: AWSEnvironment) throws(AWSError) -> S3Client {
        let trace = options.verbose ? AWSTrace(Self.traceLine) : .off
        let connection = try AWSConnection.open(service: "s3", connections: options.s3Concurrency, options: options,
                                                environment: environment, trace: trace)
        trace("aws: region \(connection.region)" + (connection.endpoint.map { ", endpoint \($0)" } ?? "")
              + ", credentials: \(connection.credentials?.source ?? "none (--no-sign-request)")")
        return S3Client(.init(transport: connection.transport, credentials: connection.credentials, region: connection.region,
                              endpoint: connection.endpoint, retry: RetryPolicy(maxAttempts: options.maxAttempts), trace: trace,
                              now: WallClock.millis))
    }

    /// One trace line on stderr, whole (one write), control characters escaped: keys and server messages
    /// are untrusted text.
    @Sendable static func traceLine(_ line: String) {
        let text = "deadletter: trace: " + TerminalText.escape(line) + "\n"
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

extension AWSEnvironment {
    /// The process's environment.
    static func process() -> AWSEnvironment {
        var variables: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return AWSEnvironment(variables: variables)
    }
}
