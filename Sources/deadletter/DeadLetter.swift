import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct DeadLetter: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "deadletter",
        abstract: "Failed-record forensics for Amazon Data Firehose error output.",
        discussion: """
        deadletter reads the failure records Firehose writes to S3 (processing-failed/, \
        format-conversion-failed/, errors/manifests/, AmazonOpenSearchService-failed/, elasticsearch-failed/, \
        splunk-failed/, http-endpoint-failed/, snowflake-failed/, iceberg-failed/, decompression-failed/) from a \
        bucket (s3://), a synced tree, files or stdin, gzip or plain, and answers what failed, why and since when; \
        backfill writes the records back as ready-to-send files and send delivers them.

        EXIT STATUS
          0   done; malformed lines, if any, were reported and counted
          1   done, but some input could not be read (missing file, permission, truncated gzip)
          2   --strict was given and malformed input was found
          3   send: done, but some items could not be delivered (they are in DIR/send-failed/)
          64  usage error
        """,
        version: version,
        subcommands: [Summarize.self, Records.self, Merge.self, Report.self, Backfill.self, Send.self, Redrive.self, Agent.self]
    )

    static func main() {
        // A closed pipe must end the run quietly, not kill it: writes check for EPIPE instead.
        signal(SIGPIPE, SIG_IGN)
        // Past a file-size limit writes fail with EFBIG, reported like a full disk, instead of killing us.
        signal(SIGXFSZ, SIG_IGN)
        // Ctrl-C and SIGTERM must reach us even if the parent left them blocked (some process launchers do);
        // a parent that *ignored* them is respected.
        var interrupts = sigset_t()
        sigemptyset(&interrupts)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&interrupts, sig) }
        pthread_sigmask(SIG_UNBLOCK, &interrupts, nil)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = SubcommandSuggestion.message(for: arguments) {
            UsageFailure.exit(message, command: DeadLetter.self)
        }
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            Self.exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            // ArgumentParser would show the root's usage for an error thrown by run(): show the subcommand's.
            guard let message = UsageFailure.message(of: error) else { Self.exit(withError: error) }
            UsageFailure.exit(message, command: type(of: command))
        }
    }
}

/// Runs a library job and turns its outcome into the process's exit status; a usage error goes back to
/// `main`, which knows the subcommand whose usage to show.
func finish(_ body: (any TextSink, Diagnostics) throws(UsageError) -> ExitStatus) throws(UsageError) -> Never {
    let diagnostics = Diagnostics()
    let output = FileDescriptorSink(fd: STDOUT_FILENO)
    let status = try body(output, diagnostics)
    if case .failed(let reason) = output.state {
        diagnostics.report(.error(.outputFailed, "cannot write output: \(reason)"))
        terminate(diagnostics.exitStatus.rawValue)
    }
    terminate(status.rawValue)
}

func terminate(_ status: Int32) -> Never {
    #if canImport(Glibc)
    Glibc.exit(status)
    #else
    Darwin.exit(status)
    #endif
}
