import ArgumentParser
import BuildVersion
import FoundationEssentials
import GWSSimulator
import Glibc

/// `gws-sim`: serves a simulated GWS 8.5 (REST + CometD 3) until interrupted.
@main
struct GWSSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gws-sim",
        abstract: "A Genesys Web Services 8.5 simulator: REST, CometD long-polling, scripted agent activity, faults.",
        discussion: """
            Serves REST under /api/v2, CometD at /api/v2/notifications and a control endpoint at \
            /sim/control (see docs/simulator.md). Stops on SIGINT or SIGTERM.
            """,
        version: BuildVersion.current)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 8090

    @Option(help: "Write the port actually bound to this file once listening.")
    var portFile: String?

    @Option(name: .customLong("user"), help: "An agent as USER:PASSWORD; repeat for more agents.")
    var users: [String] = ["agent1:secret"]

    @Option(help: "Serve this many more agents, agent1 to agentN, each with the password 'secret'.")
    var agents = 0

    @Option(help: "Change the agents' state and DND every this many seconds (0: never).")
    var scriptedActivity: Double = 0

    @Flag(help: "Answer operations in the pre-release {\"status\":\"ok\"} format.")
    var legacyReplies = false

    @Option(help: "Seconds a /meta/connect is held when there is nothing to deliver.")
    var timeout: Double = 25

    @Option(help: "Seconds a session lives without a connect before it is swept.")
    var maxInterval: Double = 10

    @Flag(help: "Do not send maxInterval in the advice.")
    var hideMaxInterval = false

    @Flag(help: "Do not serve /sim/control.")
    var noControl = false

    @Option(help: "Serve a cluster of this many nodes on consecutive ports (sessions are node-local).")
    var nodes = 1

    @Option(help: "Seconds an HTTP session lives without a request (GWS's sample configuration: 1800).")
    var httpSessionTimeout: Double = 1800

    @Flag(help: "Do not check the CSRF token on CometD requests (GWS may not; the default is strict).")
    var noCsrfOnCometd = false

    func validate() throws {
        for user in users where !user.contains(":") {
            throw ValidationError("--user expects USER:PASSWORD, got '\(user)'")
        }
        guard timeout >= 0, maxInterval > 0, scriptedActivity >= 0 else {
            throw ValidationError("--timeout, --max-interval and --scripted-activity must not be negative")
        }
        guard (0...100_000).contains(agents) else { throw ValidationError("--agents must be between 0 and 100000") }
        guard (1...64).contains(nodes) else { throw ValidationError("--nodes must be between 1 and 64") }
        guard httpSessionTimeout > 0 else { throw ValidationError("--http-session-timeout must be more than 0") }
    }

    func run() async throws {
        // --agents N replaces the default single user; explicit --user entries come first.
        let specs = agents > 0 && users == ["agent1:secret"] ? [] : users
        var agents = specs.enumerated().map { index, spec in
            let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
            return SimulatedAgent(
                username: parts[0], password: parts.count > 1 ? parts[1] : "", phoneNumber: String(5001 + index))
        }
        let taken = Set(agents.map(\.username))
        for number in 0..<self.agents where !taken.contains("agent\(number + 1)") {
            agents.append(
                SimulatedAgent(
                    username: "agent\(number + 1)", password: "secret", phoneNumber: String(100_001 + number)))
        }
        let settings = CometDSettings(
            timeout: .milliseconds(Int64(timeout * 1000)), maxInterval: .milliseconds(Int64(maxInterval * 1000)),
            advertiseMaxInterval: !hideMaxInterval)
        let simulator = GWSSimulator(
            configuration: SimulatorConfiguration(
                agents: agents, cometd: settings, legacyReplies: legacyReplies, controlEndpoint: !noControl,
                nodes: nodes, httpSessionTimeout: .milliseconds(Int64(httpSessionTimeout * 1000)),
                csrfOnCometD: !noCsrfOnCometd))
        let url = try await simulator.start(host: host, port: port)
        if let portFile {
            try Data(String(url.split(separator: ":").last ?? "").utf8).write(to: URL(fileURLWithPath: portFile))
        }
        if scriptedActivity > 0 {
            await simulator.engine.startScriptedActivity(interval: .milliseconds(Int64(scriptedActivity * 1000)))
        }
        // Unbuffered, so that a supervising script sees it at once.
        let urls = await simulator.baseURLs.joined(separator: " ")
        let names =
            agents.count > 10 ? "\(agents.count) agents" : "users: " + agents.map(\.username).joined(separator: ", ")
        let line = "gws-sim listening on \(urls) (\(names))\n"
        _ = line.withCString { write(1, $0, strlen($0)) }
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }
}
