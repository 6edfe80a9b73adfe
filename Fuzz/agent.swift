// libFuzzer target: CloudWatch agent log lines, awslogs.conf and agent JSON config parsing, finding rules.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgent(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    var analyzer = AgentAnalyzer()
    for (i, line) in lines.enumerated() {
        for message in [AwslogsLog.parse(line), UnifiedAgentLog.parse(line)].compactMap({ $0 }) {
            let text = message.text
            _ = AgentMessageClassifier.awslogsStream(in: text)
            let target = AgentMessageClassifier.target(in: text)
            if let name = AgentMessageClassifier.exception(in: text) {
                analyzer.events.append(AgentEvent(kind: .exception(name), time: message.time, logGroup: target, file: "f", line: i))
            } else if AgentMessageClassifier.isDrop(text) {
                analyzer.events.append(AgentEvent(kind: .dropped, time: message.time, logGroup: target, file: "f", line: i))
            } else if AgentMessageClassifier.isUnifiedStart(text) {
                analyzer.events.append(AgentEvent(kind: .start, time: message.time, file: "f", line: i))
            }
        }
    }
    analyzer.sources += AwslogsConf.sources(lines.map { String(decoding: $0, as: UTF8.self) }, file: "a.conf")
    if let more = try? AgentJSONConfig.sources(bytes, file: "c.json") { analyzer.sources += more }
    for i in analyzer.events.indices { if let t = analyzer.events[i].logGroup { (analyzer.events[i].logGroup, analyzer.events[i].logStream) = analyzer.split(t) } }
    _ = analyzer.findings()
    return 0
}
