import BayeuxCore
import HTTPTransport
import Locking
import Logging
import Placement
import Text

/// A long-polling Bayeux client: drives a ``SessionStateMachine`` over an ``HTTPClient``.
///
/// One task calls ``run()``, which owns the state machine for the client's lifetime and
/// returns when the session ends (server refusal, ``disconnect()``, or cancellation).
/// Other tasks talk to it through ``subscribe(_:)``, ``unsubscribe(_:)`` and
/// ``disconnect()``, and read ``events`` (or get each event from the `onEvent` closure
/// given at creation). Requests run as child tasks so that the long poll and control
/// requests proceed side by side.
public final class BayeuxClient<C: Clock<Duration>>: Sendable where C.Instant: Sendable {
    /// Everything the client reports, in order. Finishes when ``run()`` returns. Empty
    /// when the client was made with an `onEvent` closure.
    public let events: AsyncStream<BayeuxEvent>

    private let configuration: BayeuxClientConfiguration
    private let http: any HTTPClient
    private let clock: C
    private let logger: Logger
    private let seed: UInt64
    private let eventSink: AsyncStream<BayeuxEvent>.Continuation
    private let onEvent: (@Sendable (BayeuxEvent) -> Void)?
    private let inbox: AsyncStream<SessionEvent>
    private let inboxSink: AsyncStream<SessionEvent>.Continuation
    private let status: Locked<Status>

    /// What other tasks may read about the session at any time.
    public struct Status: Sendable {
        public var state: SessionState = .disconnected
        public var clientId: String?
        public var counters = SessionCounters()
        public var multipleClients = false
        /// The server's `timeout` advice: how long it may hold a long poll.
        public var adviceTimeout: Duration = .zero
        /// When the loop last finished handling an event (the watchdog's progress stamp).
        public var lastProgress: C.Instant?
    }

    /// Creates a client; nothing happens until ``run()``.
    /// - Parameter onEvent: when given, receives every event instead of ``events``, in
    ///   order, synchronously on the task running ``run()``; it must return quickly. This
    ///   spares the consumer a task hop per event.
    public init(
        configuration: BayeuxClientConfiguration, http: any HTTPClient, clock: C, logger: Logger,
        seed: UInt64 = UInt64.random(in: .min ... .max), onEvent: (@Sendable (BayeuxEvent) -> Void)? = nil
    ) {
        self.onEvent = onEvent
        self.configuration = configuration
        self.http = http
        self.clock = clock
        self.logger = logger
        self.seed = seed
        (events, eventSink) = AsyncStream.makeStream(of: BayeuxEvent.self)
        (inbox, inboxSink) = AsyncStream.makeStream(of: SessionEvent.self)
        status = Locked(Status())
        for channel in configuration.subscriptions { inboxSink.yield(.subscribe(channel)) }
    }

    /// Hands `event` to the consumer.
    private func emit(_ event: BayeuxEvent) {
        if let onEvent { onEvent(event) } else { eventSink.yield(event) }
    }

    /// A snapshot of the session's state, counters and progress stamp.
    public var snapshot: Status { status.withLock { $0 } }

    /// Wants deliveries from `channel` (a name or `/*`, `/**` pattern), now and after
    /// every re-handshake.
    public func subscribe(_ channel: String) { inboxSink.yield(.subscribe(channel)) }

    /// No longer wants deliveries from `channel`.
    public func unsubscribe(_ channel: String) { inboxSink.yield(.unsubscribe(channel)) }

    /// Ends the session with a `/meta/disconnect`, bounded by the configured timeout;
    /// ``run()`` returns once it is done.
    public func disconnect() { inboxSink.yield(.disconnect) }

    /// Runs the session until it terminates or the calling task is cancelled.
    /// - Returns: why the session ended, or `nil` when cancelled.
    @discardableResult
    public func run() async -> TerminationReason? {
        var extensions: [any BayeuxExtension] = []
        if configuration.useAckExtension { extensions.append(AckExtension()) }
        var machine = SessionStateMachine<C.Instant>(
            configuration: configuration.session, extensions: extensions, seed: seed)
        var loop = LoopResources()
        defer {
            loop.cancelAll()
            eventSink.finish()
        }
        var reason = perform(machine.handle(.start, now: clock.now), machine: machine, loop: &loop)
        if reason != nil { return reason }
        for await event in inbox {
            switch event {
            case .responseReceived(let id, _), .requestFailed(let id, _): loop.requests[id] = nil
            default: break
            }
            let actions = machine.handle(event, now: clock.now)
            reason = perform(actions, machine: machine, loop: &loop)
            if let reason { return reason }
        }
        return nil
    }

    /// Tasks started by the loop, so that cancellation can reach them.
    private struct LoopResources {
        var requests: [RequestID: Task<Void, Never>] = [:]
        var timer: Task<Void, Never>?

        mutating func cancelAll() {
            for task in requests.values { task.cancel() }
            requests = [:]
            timer?.cancel()
            timer = nil
        }
    }

    /// Performs `actions`; returns the termination reason when one of them ends the session.
    private func perform(
        _ actions: [SessionAction], machine: SessionStateMachine<C.Instant>, loop: inout LoopResources
    ) -> TerminationReason? {
        var terminated: TerminationReason?
        for action in actions {
            switch action {
            case .send(let request):
                loop.requests[request.id] = TaskPlacement.task { await self.exchange(request) }
            case .cancel(let ids):
                for id in ids { loop.requests.removeValue(forKey: id)?.cancel() }
            case .startTimer(let id, let delay):
                loop.timer?.cancel()
                // The deadline is taken now, not when the task first runs.
                let deadline = clock.now.advanced(by: delay)
                loop.timer = TaskPlacement.task {
                    try? await self.clock.sleep(until: deadline, tolerance: nil)
                    if !Task.isCancelled { self.inboxSink.yield(.timerFired(id)) }
                }
                if machine.state != .connected { emit(.retryScheduled(after: delay)) }
            case .deliver(let messages):
                emit(.messages(messages))
            case .stateChanged(let state):
                logger.debug("bayeux session \(state.rawValue)", metadata: ["bayeux.state": "\(state.rawValue)"])
                emit(.stateChanged(state))
            case .handshook(let clientId, let rehandshake):
                logger.debug(
                    rehandshake ? "bayeux re-handshake" : "bayeux handshake",
                    metadata: ["bayeux.client_id": "\(clientId)"])
                emit(.handshook(clientId: clientId, rehandshake: rehandshake))
            case .subscribed(let channel):
                logger.debug("subscribed", metadata: ["bayeux.channel": "\(channel)"])
                emit(.subscribed(channel))
            case .subscriptionFailed(let channel, let error):
                logger.warning(
                    "subscription refused", metadata: ["bayeux.channel": "\(channel)", "bayeux.error": "\(error)"])
                emit(.subscriptionFailed(channel, error: error))
            case .terminated(let reason):
                // A disconnect the client asked for is routine (10,000 of them at a
                // fleet's stop); a session the server ended is worth a notice.
                logger.log(level: reason == .disconnected ? .debug : .notice, "bayeux session ended: \(reason)")
                emit(.terminated(reason))
                terminated = reason
            }
        }
        let now = clock.now
        status.withLock { status in
            status.state = machine.state
            status.clientId = machine.clientId
            status.counters = machine.counters
            status.multipleClients = machine.advice.multipleClients
            status.adviceTimeout = machine.advice.timeout
            status.lastProgress = now
        }
        return terminated
    }

    /// Posts one batch and feeds the outcome back to the loop. A cancelled request
    /// reports nothing: the state machine cancelled it and expects no answer.
    private func exchange(_ request: OutgoingRequest) async {
        var headers = [HTTPHeader("Content-Type", "application/json;charset=UTF-8")]
        headers += configuration.headers()
        let http = HTTPRequest(
            method: .post, url: configuration.url, headers: headers, body: BayeuxCodec.encode(request.messages),
            timeout: request.timeout)
        let outcome: SessionEvent
        do {
            let response = try await self.http.perform(http)
            if response.status != 200 {
                // The reason GWS gives (for example "Missing or invalid Csrf token") is worth showing.
                // Never the credentials, though: a proxy may echo the request's headers.
                let reason =
                    ServerText.excerpt(of: response.body).map { ": " + HTTPHeader.redacting(headers, in: $0) } ?? ""
                outcome = .requestFailed(
                    request.id, RequestFailure(.http, "HTTP \(response.status)\(reason)", httpStatus: response.status))
            } else {
                do {
                    outcome = .responseReceived(request.id, try BayeuxCodec.decode(response.body))
                } catch {
                    outcome = .requestFailed(request.id, RequestFailure(.malformed, error.description))
                }
            }
        } catch .cancelled {
            return
        } catch {
            outcome = .requestFailed(request.id, RequestFailure(error))
        }
        if Task.isCancelled { return }
        if case .requestFailed(_, let failure) = outcome {
            logger.debug("bayeux request failed", metadata: ["bayeux.failure": "\(failure)"])
            emit(.requestFailed(failure))
        }
        inboxSink.yield(outcome)
    }
}
