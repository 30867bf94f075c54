import AgentDaemon
import AgentState
import BayeuxClient
import BayeuxCore
import CurlTransport
import GWS
import HTTPTransport
import JSON
import Logging

/// The work of the operator commands (`set`, `states`, `check-config`), kept out of the
/// executable so that it stays a thin argument parser.
public enum OperatorCommands {
    /// Loads the configuration; `nil` after reporting a problem on `console` (the
    /// caller exits 78).
    public static func loadConfiguration(
        path: String?, environment: [String: String], console: Console
    ) async -> DaemonConfiguration? {
        do {
            return try await ConfigurationLoader(environment: asUnits(environment)).load(explicitPath: path)
        } catch {
            console.error("gws-agentd: configuration error: \(error)")
            return nil
        }
    }

    /// The environment an operator command reads the configuration with: as
    /// `gws-agentd.service` runs it, so that a `state.file` left to its default
    /// (`$RUNTIME_DIRECTORY/state.json`) names the unit's file rather than being an error
    /// outside the unit.
    static func asUnits(_ environment: [String: String]) -> [String: String] {
        environment.merging(["RUNTIME_DIRECTORY": RuntimeFiles.directory(instance: nil, environment: environment)]) {
            own, _ in own
        }
    }

    /// An HTTP client and the REST calls over it, for short-lived commands.
    static func connect(_ configuration: DaemonConfiguration) -> (CurlHTTPClient, GWSRestClient)? {
        let server = configuration.server
        guard
            let http = CurlHTTPClient(
                configuration: CurlConfiguration(
                    tlsVerify: server.tlsVerify, caFile: server.caFile, proxy: server.proxy,
                    userAgent: "gws-agentd/\(AgentDaemonVersion.current)"))
        else { return nil }
        let rest = GWSRestClient(
            http: http, baseURL: server.url, username: server.username, password: server.password,
            timeout: server.maxNetworkDelay)
        return (http, rest)
    }

    // MARK: set

    /// `gws-agentd set` with a login of its own (no daemon answers on its socket): POSTs
    /// the operation; with `wait`, confirms it in a short CometD session of its own.
    public static func set(
        _ request: OperationRequest, configuration: DaemonConfiguration, wait: Duration?, console: Console
    ) async -> ExitStatus {
        guard let (http, rest) = connect(configuration) else {
            console.error("gws-agentd: libcurl could not start")
            return .failure
        }
        defer { http.shutdown() }
        let target = "\(request.operation.name) on \(request.operation.scope)"
        guard let wait else {
            return await post(request, rest: rest, target: target, console: console).status
        }
        return await confirmWithOwnSession(
            request, http: http, rest: rest, configuration: configuration,
            target: target, timeout: wait, console: console)
    }

    /// POSTs and reports the reply.
    static func post(
        _ request: OperationRequest, rest: GWSRestClient, target: String, console: Console
    ) async -> (status: ExitStatus, accepted: Bool) {
        do {
            switch try await rest.perform(request.operation) {
            case .accepted:
                console.out("accepted: \(target)")
                return (.success, true)
            case .partiallyAccepted(let message):
                console.out("accepted in part: \(target)")
                console.error("gws-agentd: GWS accepted only part of the request" + (message.map { ": \($0)" } ?? ""))
                return (.success, true)
            case .rejected(let code, let message):
                console.error("gws-agentd: rejected: \(target): \(GWSReplyError.status(code: code, message: message))")
                return (.failure, false)
            }
        } catch {
            console.error("gws-agentd: \(target): \(error.explanation)")
            return (error.exitStatus, false)
        }
    }

    /// Opens a short CometD session of its own: subscribe, read the snapshot, POST, wait
    /// for the confirming notification.
    static func confirmWithOwnSession(
        _ request: OperationRequest, http: CurlHTTPClient, rest: GWSRestClient, configuration: DaemonConfiguration,
        target: String, timeout: Duration, console: Console
    ) async -> ExitStatus {
        let deadline = ContinuousClock.now + timeout
        // Log in first: GWS wants the session cookie and the CSRF token on CometD POSTs too.
        do throws(RESTError) { _ = try await rest.fetchSnapshot() } catch {
            console.error("gws-agentd: \(error.explanation)")
            return error.exitStatus
        }
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: configuration.server.notificationsURL,
                session: SessionConfiguration(maxNetworkDelay: configuration.server.maxNetworkDelay),
                subscriptions: configuration.channels, headers: { rest.bayeuxHeaders }),
            http: http, clock: DaemonClock.continuous,
            logger: Logger(label: "gws-agentd.set") { _ in SwiftLogNoOpLogHandler() })
        let run = Task { await client.run() }
        defer {
            client.disconnect()
            run.cancel()
        }
        let events = client.events
        let waiter = Task { () -> ExitStatus in
            var subscribed = Set<String>()
            var cache = AgentCache()
            var posted = false
            for await event in events {
                switch event {
                case .subscribed(let channel), .subscriptionFailed(let channel, _):
                    subscribed.insert(channel)
                    guard !posted, subscribed.isSuperset(of: configuration.channels) else { continue }
                    do throws(RESTError) { cache.replace(with: try await rest.fetchSnapshot()) } catch {
                        console.error("gws-agentd: \(error.explanation)")
                        return error.exitStatus
                    }
                    let outcome = await post(request, rest: rest, target: target, console: console)
                    guard outcome.accepted else { return outcome.status }
                    posted = true
                case .messages(let messages) where posted:
                    for message in messages {
                        cache.apply(GWSNotification.decode(channel: message.channel, data: message.data))
                    }
                    let agent = StateDocument.Agent(
                        username: configuration.server.username, cache: cache, synced: true, lastNotificationAt: nil)
                    if request.isConfirmed(by: agent) {
                        printConfirmed(agent, source: "from GWS", console: console)
                        return .success
                    }
                case .terminated(let reason):
                    console.error("gws-agentd: the CometD session ended: \(reason)")
                    return .unavailable
                default:
                    continue
                }
            }
            // The deadline cancelled the wait: accepted but unconfirmed is not "unreachable".
            return posted ? .notConfirmed : .unavailable
        }
        let timer = Task {
            try? await DaemonClock.continuous.sleep(until: deadline, tolerance: nil)
            waiter.cancel()
        }
        defer { timer.cancel() }
        let status = await waiter.value
        if status == .notConfirmed {
            console.error("gws-agentd: accepted, but no confirming notification within \(timeout)")
        } else if status == .unavailable, ContinuousClock.now >= deadline {
            console.error("gws-agentd: no answer from GWS within \(timeout)")
        }
        return status
    }

    static func printConfirmed(_ agent: StateDocument.Agent, source: String, console: Console) {
        console.out("confirmed \(source): \(agent.username) \(StatusText.agentLine(agent))")
        for device in agent.devices {
            console.out(
                "  device \(device.id ?? "(no id)"): \(StatusText.stateText(device.state, device.workMode, device.reason)), \(StatusText.dndText(device.dnd))"
            )
        }
        for channel in agent.channels {
            console.out(
                "  channel \(channel.name ?? "(all)"): \(StatusText.stateText(channel.state, channel.workMode, channel.reason)), \(StatusText.dndText(channel.dnd))"
            )
        }
    }

    // MARK: states

    /// `gws-agentd states`: the operations from `GET /api/v2/settings/agent-states`.
    public static func states(configuration: DaemonConfiguration, json: Bool, console: Console) async -> ExitStatus {
        guard let (http, rest) = connect(configuration) else { return .failure }
        defer { http.shutdown() }
        do {
            printStates(try await rest.agentStates(), json: json, console: console)
            return .success
        } catch {
            console.error("gws-agentd: \(error.explanation)")
            return error.exitStatus
        }
    }

    /// The operations as a table, or as a JSON array.
    static func printStates(_ settings: [AgentStateSetting], json: Bool, console: Console) {
        if json {
            console.out(JSONWriter.string(.array(settings.map(\.json))))
            return
        }
        let rows =
            [["OPERATION", "STATE", "WORK MODE", "REASON", "DISPLAY NAME"]]
            + settings.map {
                [$0.operationName, $0.state ?? "-", $0.workMode ?? "-", $0.reason ?? "-", $0.displayName ?? "-"]
            }
        for line in table(rows) { console.out(line) }
    }

    /// Left-aligned columns separated by two spaces.
    static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (index, cell) in row.enumerated() {
                line +=
                    index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            return line
        }
    }

    // MARK: check-config

    /// `gws-agentd check-config`: prints what the configuration says; with `online`,
    /// checks that GWS accepts the credentials.
    public static func checkConfig(
        path: String?, environment: [String: String], online: Bool, verbose: Bool = false, console: Console
    ) async -> ExitStatus {
        var loader = ConfigurationLoader(environment: asUnits(environment))
        // Online, a running daemon can vouch for the password this user cannot read.
        loader.passwordOptional = online
        let configuration: DaemonConfiguration
        do {
            configuration = try await loader.load(explicitPath: path)
        } catch {
            console.error("gws-agentd: configuration error: \(error)")
            return .configuration
        }
        console.out("configuration OK: \(loader.path(explicit: path))")
        console.out(
            "  server      \(configuration.server.url) (TLS verification \(configuration.server.tlsVerify ? "on" : "OFF"))"
        )
        if let roster = configuration.roster {
            console.out(
                "  agents      \(roster.agents.count) (logins: \(roster.loginConcurrency) at once, jitter up to \(roster.loginJitter))"
            )
            console.out("  state dir   \(roster.stateDirectory) (heartbeat \(configuration.heartbeatSeconds) s)")
        } else {
            console.out(
                "  user        \(configuration.server.username), password from \(configuration.server.password.source)")
        }
        console.out("  channels    \(configuration.channels.joined(separator: ", "))")
        if configuration.roster == nil {
            console.out("  state file  \(configuration.stateFile) (heartbeat \(configuration.heartbeatSeconds) s)")
        }
        console.out("  log         \(configuration.logFormat.rawValue), level \(configuration.logLevel.rawValue)")
        if let metrics = configuration.metricsTextfile { console.out("  metrics     \(metrics)") }
        guard online else { return .success }
        let route = DaemonRoute.find(socket: configuration.controlSocket)
        if verbose { console.error("gws-agentd: \(route.explanation)") }
        switch route {
        case .socket(let socket):
            if configuration.roster != nil { return await checkOnlineAgents(socket: socket, console: console) }
            return await checkOnline(socket: socket, console: console)
        case .refused(let socket) where configuration.server.password.origin == .unreadable:
            console.error("gws-agentd: \(DaemonRoute.refusal(socket))")
            return .noPermission
        case .ownLogin, .refused:
            if configuration.server.password.origin == .unreadable {
                console.error(
                    "gws-agentd: configuration error: no password readable here, and no daemon answers on "
                        + "\(configuration.controlSocket): \(configuration.server.password.source)")
                return .configuration
            }
        }
        if configuration.roster != nil { return await checkAgentsOwnLogin(configuration, console: console) }
        guard let (http, rest) = connect(configuration) else { return .failure }
        defer { http.shutdown() }
        do {
            let snapshot = try await rest.fetchSnapshot()
            console.out(
                "GWS accepted the credentials: \(snapshot.username ?? configuration.server.username), "
                    + "\(snapshot.devices.count) device(s), \(snapshot.channels.count) channel(s)")
            return .success
        } catch .unauthorized {
            console.error("gws-agentd: GWS refused the credentials for \(configuration.server.username)")
            return .configuration
        } catch {
            console.error("gws-agentd: \(error.explanation)")
            return error.exitStatus == .noPermission ? .configuration : error.exitStatus
        }
    }
}
