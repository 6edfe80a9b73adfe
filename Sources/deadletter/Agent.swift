import DeadLetterAgent
import DeadLetterAWS
import DeadLetterSupport
import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AgentFormat: ExpressibleByArgument {}

struct Agent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Diagnose CloudWatch Logs agent logs and configs: shared streams, sequence-token errors, missing groups, dropped data.",
        discussion: """
        Recognises by content: awslogs agent logs (/var/log/awslogs.log), unified CloudWatch agent logs \
        (amazon-cloudwatch-agent.log, both the [outputs.cloudwatchlogs] and the older cloudwatchlogs: forms), \
        awslogs.conf and amazon-cloudwatch-agent.json. Give logs and configs together so streams can be matched. \
        Findings: shared-stream, restart-token-error, concurrent-writers, stale-agent-state, missing-group, missing-stream, \
        missing-resource, resource-created, dropped-data, outdated-agent.

        Examples:
          deadletter agent /var/log/awslogs.log /etc/awslogs/awslogs.conf
          deadletter agent /opt/aws/amazon-cloudwatch-agent/logs/ config.json --format json | jq '.findings[].code'
          deadletter agent s3://ops-logs/agents/web-1/ --profile ops   # needs AWS (a profile ops)
        """
    )

    @Argument(help: ArgumentHelp("Agent logs and configs (files, directories or s3://BUCKET/PREFIX; gzip is read too); - for stdin.", valueName: "path"),
              completion: .file())
    var paths: [String] = []

    @Option(help: "Output format.")
    var format: AgentFormat = .table

    @Option(help: ArgumentHelp("Seconds after an agent start in which sequence-token errors are expected (0 to 86400).", valueName: "seconds"))
    var restartWindow: Int = 120

    @OptionGroup(title: "AWS options (for s3://BUCKET/PREFIX paths)") var aws: AWSFlags

    func validate() throws {
        // Milliseconds are compared with the window: a day is far past any restart and far from overflow.
        guard (0...86_400).contains(restartWindow) else {
            throw ValidationError("--restart-window '\(restartWindow)': takes seconds from 0 to 86400 (a day)")
        }
    }

    func run() throws {
        var options = AgentOptions()
        options.paths = paths
        options.format = format
        options.restartWindowSeconds = restartWindow
        options.stdinIsTerminal = isatty(STDIN_FILENO) == 1
        options.remoteSources = aws.remoteSources(window: nil, paths: paths)
        try finish { output, diagnostics throws(UsageError) in
            try AgentJob.run(options, output: output, diagnostics: diagnostics)
        }
    }
}
