import AgentDaemon
import Testing

@testable import AgentOperator

@Suite("Which daemon and which agent an operator command is about")
struct DaemonTargetTests {
    @Test("Options that do not go together are refused")
    func problems() {
        #expect(DaemonTarget(socket: "/s", instance: "a").problem != nil)
        #expect(DaemonTarget(instance: "a/b").problem != nil)
        #expect(DaemonTarget(agent: "../etc").problem != nil)
        #expect(DaemonTarget(configPath: "/c", agent: "jane.doe@example.com").problem == nil)
    }

    @Test("The agent: the one named, or the only one; refused with the names both ways")
    func agentChoice() throws {
        #expect(try AgentChoice.choose(nil, among: ["a1"], by: .daemon).get() == "a1")
        #expect(try AgentChoice.choose("a2", among: ["a1", "a2"], by: .configuration).get() == "a2")
        func refusal(_ name: String?, _ names: [String], _ holder: AgentChoice.Holder) -> String {
            if case .failure(let refusal) = AgentChoice.choose(name, among: names, by: holder) {
                return refusal.description
            }
            return "chosen"
        }
        #expect(refusal("x", ["a1"], .daemon) == "this daemon follows no agent x; it follows a1")
        #expect(refusal("x", ["a1"], .configuration) == "the configuration names no agent x; it names a1")
        #expect(refusal(nil, ["a1", "a2"], .daemon) == "this daemon follows 2 agents (a1, a2): name one with --agent")
        let many = (1...25).map { "agent\($0)" }
        #expect(refusal(nil, many, .configuration).contains("agent20 and 5 more): name one with --agent"))
    }

    @Test("The sockets tried: the options' own, else --config's, the runtime directory's, the default configuration's")
    func candidateSockets() async {
        let environment = ["RUNTIME_DIRECTORY": "/run/x"]
        let explicit = await OperatorRoute.candidateSockets(
            DaemonTarget(stateFile: "/var/a/state.json"), environment: environment,
            configurations: ConfigurationCache(path: nil, environment: environment))
        #expect(explicit == ["/var/a/control.sock"])
        let missing = await OperatorRoute.candidateSockets(
            DaemonTarget(configPath: "/nonexistent.yaml"), environment: environment,
            configurations: ConfigurationCache(path: "/nonexistent.yaml", environment: environment))
        #expect(missing == ["/run/x/control.sock"], "an unreadable configuration still leaves the runtime directory")
    }
}
