import AgentState
import BayeuxClient
import GWS
import HTTPTransport

/// What the session task handles, one at a time, in arrival order.
enum AgentInput: Sendable {
    /// An event for the coordinator (REST results, Bayeux events, timers).
    case coordinator(CoordinatorEvent)
    /// A coalesced state-file write is due.
    case flushDue
    /// Touch the state file, write the metrics.
    case heartbeat
    /// A reloaded configuration; resume `done` once applied.
    case reload(AgentConfiguration, done: CheckedContinuation<Void, Never>)
    /// An agent-state operation from the control socket, over the session's own HTTP
    /// session; `reply` gets GWS's answer, or `nil` while no GWS session is open.
    case operate(AgentOperation, reply: @Sendable (Result<OperationReply, RESTError>?) -> Void)
    /// The agent-state operations GWS offers, for the control socket, as for ``operate(_:reply:)``.
    case agentStates(reply: @Sendable (Result<[AgentStateSetting], RESTError>?) -> Void)
    /// SIGTERM or SIGINT.
    case stop
}

extension AgentInput {
    /// Answers the caller of an input the session will never handle (it has ended): a
    /// reload is done, an operation finds no GWS session.
    func abandon() {
        switch self {
        case .reload(_, let done): done.resume()
        case .operate(_, let reply): reply(nil)
        case .agentStates(let reply): reply(nil)
        case .coordinator, .flushDue, .heartbeat, .stop: break
        }
    }
}

/// How a session ended.
public enum AgentOutcome: Sendable, Equatable {
    /// Stopped on request, final state written.
    case stopped
    /// Gave up; the reason goes to the log, `STATUS=` and the exit status.
    case fatal(FatalReason)
}

extension BayeuxInput {
    /// The coordinator's view of a Bayeux client event; `nil` for events it does not need.
    init?(_ event: BayeuxEvent) {
        switch event {
        case .stateChanged(let state): self = .stateChanged(state)
        case .handshook(let clientID, _): self = .handshook(clientID: clientID)
        case .messages(let messages): self = .messages(messages)
        case .subscribed(let channel): self = .subscribed(channel)
        case .subscriptionFailed(let channel, let error): self = .subscriptionFailed(channel, error: error)
        case .requestFailed(let failure): self = .requestFailed(failure)
        case .retryScheduled(let delay): self = .retryScheduled(after: delay)
        case .terminated: return nil
        }
    }
}

extension SnapshotOutcome {
    /// The coordinator's view of a snapshot request's result.
    init(_ result: Result<UserSnapshot, RESTError>) {
        switch result {
        case .success(let snapshot): self = .success(snapshot)
        case .failure(let error): self = SnapshotOutcome(error)
        }
    }

    /// How a REST failure counts: against the credentials, the HTTP session, the node, or none.
    init(_ error: RESTError) {
        switch error {
        case .unauthorized(let detail): self = .unauthorized(detail)
        case .forbidden(let detail): self = .forbidden(detail)
        case .transport(.timeout), .transport(.resolve(_)), .transport(.connect(_)), .transport(.reset(_)):
            self = .nodeFailed(error.description)
        case .http(let status, _) where status >= 500: self = .nodeFailed(error.description)
        case .transport, .http, .reply: self = .failed(error.description)
        }
    }
}
