import BayeuxCore
import GWS
import JSON
import Locking
import Logging
import Systemd
import Testing

@testable import AgentDaemon
@testable import AgentState

/// Collects the lines a handler writes.
final class LineSink: Sendable {
    private let lines = Locked<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var write: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
}

@Suite("Logging, metrics and watchdog health")
struct LoggingAndMetricsTests {
    func logger(_ output: LogSettings.Output, level: Logger.Level = .info) -> (Logger, LineSink, LogSettings) {
        let sink = LineSink()
        let settings = LogSettings(output: output, level: level, identifier: "gws-agentd", sink: sink.write)
        return (Logger(label: "test") { DaemonLogHandler(label: $0, settings: settings) }, sink, settings)
    }

    @Test("JSON lines carry the level, the message and dotted metadata")
    func jsonLines() throws {
        let (logger, sink, _) = logger(.json)
        logger.info("agent Ready, DND off", metadata: ["agent.state": "Ready", "agent.dnd": "DND off"])
        let line = try #require(sink.all.first)
        let value = try JSONParser().parse(line)
        #expect(value["level"] == "info")
        #expect(value["msg"] == "agent Ready, DND off")
        #expect(value["agent.state"] == "Ready")
        #expect(value["ts"]?.stringValue.flatMap(Timestamp.parse) != nil)
    }

    @Test("Text lines, and level and format changed at run time by a reload")
    func textAndReload() {
        let (logger, sink, settings) = logger(.text)
        logger.debug("hidden")
        logger.info("shown", metadata: ["k": "two words"])
        #expect(sink.all.count == 1)
        #expect(sink.all.first?.hasSuffix(#"info: shown k="two words""#) == true)
        settings.update(output: .json, level: .debug)
        logger.debug("now visible")
        #expect(sink.all.count == 2)
        #expect(sink.all.last?.hasPrefix("{") == true)
    }

    @Test("Text lines escape control characters and quotes: server text cannot forge a line")
    func textEscaping() {
        let (logger, sink, _) = logger(.text)
        logger.info("GWS said \("x\nFAKE info: owned")", metadata: ["reason": "a \"b\"\u{1b}[2J"])
        #expect(sink.all.count == 1)
        let line = sink.all.first ?? ""
        #expect(!line.contains("\n") && !line.contains("\u{1b}"))
        #expect(line.contains(#"GWS said x\u{a}FAKE info: owned"#))
        #expect(line.hasSuffix(#"reason="a \"b\"\u{1b}[2J""#), "\(line)")
    }

    @Test("Journal entries carry native fields, including the code location and mapped metadata")
    func journalFields() {
        let settings = LogSettings(output: .journal, level: .info, identifier: "gws-agentd@site1")
        let handler = DaemonLogHandler(label: "x", settings: settings)
        let event = LogEvent(
            level: .warning, message: "m", metadata: nil, source: "s", file: "File.swift", function: "f()", line: 7)
        let fields = handler.journalFields(
            event, fields: [("agent.state", "Ready"), ("bayeux.client_id", "abc"), ("message", "clash")], error: nil)
        let dictionary = Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(dictionary["MESSAGE"] == "m")
        #expect(dictionary["PRIORITY"] == "4")
        #expect(dictionary["SYSLOG_IDENTIFIER"] == "gws-agentd@site1")
        #expect(dictionary["CODE_FILE"] == "File.swift")
        #expect(dictionary["CODE_LINE"] == "7")
        #expect(dictionary["CODE_FUNC"] == "f()")
        #expect(dictionary["AGENT_STATE"] == "Ready")
        #expect(dictionary["BAYEUX_CLIENT_ID"] == "abc")
        #expect(fields.filter { $0.name == "MESSAGE" }.count == 1)
    }

    @Test("Journal field names follow journald's rules")
    func fieldNames() {
        #expect(Journal.fieldName(for: "gws.device_id") == "GWS_DEVICE_ID")
        #expect(Journal.fieldName(for: "1st") == "X_1ST")
        #expect(Journal.fieldName(for: "_hidden") == "X__HIDDEN")
        #expect(Journal.fieldName(for: "...") == nil)
        #expect(Journal.fieldName(for: String(repeating: "a", count: 100))?.count == 64)
        #expect(Journal.priority(ofLevel: "critical") == 2)
        #expect(Journal.priority(ofLevel: "trace") == 7)
    }

    @Test("The metrics textfile has the gws_agentd_ prefix, HELP/TYPE lines and bounded labels")
    func metrics() {
        var model = AgentModel(username: "agent1")
        model.connection = .connected
        model.synced = true
        var counters = SessionCounters()
        counters.successfulConnects = 3
        counters.requestFailures[.timeout] = 2
        let text = MetricsText(
            version: "0.1.0", startTime: 1000, model: model, counters: counters, stateFileWrites: 4,
            stateFileWriteFailures: 1, stateFileLastWrite: 2000.5, lastNotification: nil
        ).render()
        let samples = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples.allSatisfy { $0.hasPrefix("gws_agentd_") })
        #expect(samples.contains("gws_agentd_connected 1"))
        #expect(samples.contains("gws_agentd_connection_state{state=\"connected\"} 1"))
        #expect(samples.contains("gws_agentd_agent_state{state=\"Unknown\"} 1"))
        #expect(samples.contains("gws_agentd_bayeux_request_failures_total{kind=\"timeout\"} 2"))
        #expect(samples.contains("gws_agentd_state_file_last_write_timestamp_seconds 2000.5"))
        #expect(!text.contains("agent1"))
        let helps = text.split(separator: "\n").filter { $0.hasPrefix("# HELP") }.count
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE") }.count
        #expect(helps == types)
    }

    @Test("Calls: on a call and live calls per agent, agents on a call daemon-wide; absent when not followed")
    func callMetrics() {
        func metrics(_ model: AgentModel) -> MetricsText {
            MetricsText(
                version: "9.9.9", startTime: 1000, model: model, counters: SessionCounters(), stateFileWrites: 0,
                stateFileWriteFailures: 0, stateFileLastWrite: nil, lastNotification: nil, agent: model.username)
        }
        func samples(_ model: AgentModel) -> [Substring] {
            metrics(model).render().split(separator: "\n").filter { !$0.hasPrefix("#") }
        }
        var model = AgentModel(username: "agent1")
        #expect(!samples(model).contains { $0.contains("call") }, "calls not followed: no call series")
        model.tracksCalls = true
        #expect(!samples(model).contains { $0.hasPrefix("gws_agentd_agent_on_call") }, "unknown: absent")
        model.replace(with: UserSnapshot(username: "agent1", devices: [], channels: [], calls: []))
        #expect(samples(model).contains("gws_agentd_agent_on_call{agent=\"agent1\"} 0"))
        model.apply(
            .call(CallNotification(kind: "StatusChange", call: CallResource(id: "c", state: "Ringing"))), at: "t")
        #expect(samples(model).contains("gws_agentd_agent_on_call{agent=\"agent1\"} 1"))
        #expect(samples(model).contains("gws_agentd_agent_calls{agent=\"agent1\"} 1"))
        var idle = AgentModel(username: "agent2")
        idle.tracksCalls = true
        idle.replace(with: UserSnapshot(username: "agent2", devices: [], channels: [], calls: []))
        let fleet = FleetMetrics(
            version: "9.9", startTime: 1000, agents: [metrics(model).agentMetrics(), metrics(idle).agentMetrics()],
            followed: 2, synced: 0, perAgent: false
        ).render()
        #expect(fleet.split(separator: "\n").contains("gws_agentd_agents_on_call 1"))
    }

    @Test("The start of the current state is a gauge, absent while unknown")
    func sinceGauges() throws {
        func render(_ model: AgentModel) -> [Substring] {
            MetricsText(
                version: "9.9.9", startTime: 1000, model: model, counters: SessionCounters(), stateFileWrites: 0,
                stateFileWriteFailures: 0, stateFileLastWrite: nil, lastNotification: nil
            ).render().split(separator: "\n")
        }
        var model = AgentModel(username: "agent1")
        model.replace(
            with: UserSnapshot(
                username: "agent1", devices: [],
                channels: [
                    ChannelResource(name: "chat", userState: UserState(state: "NotReady"), dnd: false)
                ]))
        #expect(!render(model).contains { $0.contains("since_timestamp_seconds") })
        let at = "2026-12-02T10:00:00.500Z"
        model.apply(
            .channels([ChannelResource(name: "chat", userState: UserState(state: "Ready"), dnd: false)]), at: at)
        let samples = render(model)
        #expect(samples.contains("gws_agentd_agent_state_since_timestamp_seconds \(try #require(Timestamp.parse(at)))"))
        #expect(!samples.contains { $0.hasPrefix("gws_agentd_agent_dnd_since_timestamp_seconds ") })
    }

    @Test("The watchdog sees a stuck session loop or a stuck Bayeux loop, not a slow server")
    func health() {
        let now = ContinuousClock.now
        func health(loop: Duration, bayeux: Duration?) -> Bool {
            AgentHealth(
                loopProgress: now - loop, bayeuxProgress: bayeux.map { now - $0 }, adviceTimeout: .seconds(25),
                allowance: HealthAllowance(heartbeat: .seconds(10), maxNetworkDelay: .seconds(10))
            ).isHealthy(now: now)
        }
        #expect(health(loop: .seconds(1), bayeux: .seconds(40)))
        #expect(health(loop: .seconds(1), bayeux: nil))
        #expect(!health(loop: .seconds(30), bayeux: .seconds(1)))
        #expect(!health(loop: .seconds(1), bayeux: .seconds(60)))
    }
}
