import AgentDaemon
import AgentState
import BayeuxClient
import BayeuxCore
import ControlSocket
import CurlTransport
import GWS
import HTTPTransport
import JSON
import Logging
import Timekeeping

/// `gws-agentd set`: an agent-state operation, through the running daemon (its GWS
/// session, its notifications confirm) or with a login of its own.
extension OperatorCommands {
    /// Finds the route for `target` and performs `request` there; with `wait`, waits for
    /// the notification that confirms it.
    public static func set(
        _ request: OperationRequest, target: DaemonTarget, wait: Duration?, environment: [String: String],
        console: Console
    ) async -> ExitStatus {
        switch await OperatorRoute.find(target, environment: environment, console: console) {
        case .failure(let failure): return failure.status
        case .success(.daemon(let socket, let agent)):
            return await set(request, socket: socket, agent: agent, wait: wait, console: console)
        case .success(.ownLogin(let agent)):
            return await set(request, agent: agent, wait: wait, clock: .executor, console: console)
        }
    }

    /// `set` over the socket at `path`. Exit statuses as for the direct path.
    static func set(
        _ request: OperationRequest, socket path: String, agent: String?, wait: Duration?, console: Console
    ) async -> ExitStatus {
        var arguments: JSONObject = ["operation": .string(request.operation.name)]
        if let agent { arguments["agent"] = .string(agent) }
        switch request.operation.scope {
        case .all: break
        case .channel(let name): arguments["channel"] = .string(name)
        case .device(let id): arguments["device"] = .string(id)
        }
        if let wait {
            arguments["wait_s"] = .double(Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
        }
        let target = "\(request.operation.name) on \(request.operation.scope)"
        let outcome = await ask(
            socket: path, ControlRequest(id: "set", op: "set", arguments: arguments),
            timeout: (wait ?? .zero) + .seconds(30))
        switch outcome {
        case .failure(let error):
            console.error("gws-agentd: \(error)")
            return error.exitStatus
        case .success(let reply) where reply["ok"] == true:
            console.out("accepted: \(target)")
            if let partial = reply["partial"]?.stringValue {
                console.error("gws-agentd: GWS accepted only part of the request: \(partial)")
            }
            if let state = reply["state"], let document = try? StateDocument.decode(JSONWriter.bytes(state)) {
                printConfirmed(document.agent, source: "by the daemon's notifications", console: console)
            }
            return .success
        case .success(let reply):
            return refusal(reply, console: console, prefix: "\(target): ")
        }
    }

    /// `set` with a login of its own as `agent`: POSTs the operation; with `wait`,
    /// confirms it in a short CometD session of its own.
    static func set(
        _ request: OperationRequest, agent: AgentConfiguration, wait: Duration?, clock: InjectedClock, console: Console
    ) async -> ExitStatus {
        guard let (http, rest) = connect(agent) else {
            console.error("gws-agentd: libcurl could not start")
            return .failure
        }
        defer { http.shutdown() }
        let target = "\(request.operation.name) on \(request.operation.scope)"
        guard let wait else {
            return await post(request, rest: rest, target: target, console: console).status
        }
        return await confirmWithOwnSession(
            request, http: http, rest: rest, agent: agent, target: target, timeout: wait, clock: clock,
            console: console)
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
        _ request: OperationRequest, http: any HTTPClient, rest: GWSRestClient, agent: AgentConfiguration,
        target: String, timeout: Duration, clock: InjectedClock, console: Console
    ) async -> ExitStatus {
        let deadline = clock.now + timeout
        // Log in first: GWS wants the session cookie and the CSRF token on CometD POSTs too.
        do throws(RESTError) { _ = try await rest.fetchSnapshot() } catch {
            console.error("gws-agentd: \(error.explanation)")
            return error.exitStatus
        }
        let client = BayeuxClient(
            configuration: BayeuxClientConfiguration(
                url: agent.server.notificationsURL,
                session: agent.server.bayeuxSession,
                subscriptions: agent.channels, headers: { rest.bayeuxHeaders }),
            http: http, clock: clock, logger: Logger(label: "gws-agentd.set") { _ in SwiftLogNoOpLogHandler() })
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
                    guard !posted, subscribed.isSuperset(of: agent.channels) else { continue }
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
                    let picture = StateDocument.Agent(
                        username: agent.username, cache: cache, synced: true, lastNotificationAt: nil)
                    if request.isConfirmed(by: picture) {
                        printConfirmed(picture, source: "from GWS", console: console)
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
            try? await clock.sleep(until: deadline, tolerance: nil)
            waiter.cancel()
        }
        defer { timer.cancel() }
        let status = await waiter.value
        if status == .notConfirmed {
            console.error("gws-agentd: accepted, but no confirming notification within \(timeout)")
        } else if status == .unavailable, clock.now >= deadline {
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
}
