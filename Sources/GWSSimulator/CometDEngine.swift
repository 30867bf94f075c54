import BayeuxCore
import JSON
import Locking
import Timekeeping

/// The Bayeux side of one GWS node: a CometD 3 server in miniature, with no transport and
/// time from an injected clock, so that gws-sim (served over NIO) and the daemon's
/// in-process tests (served in memory, on manual time) run the same rules.
///
/// It keeps sessions bound to their `BAYEUX_BROWSER` cookie, holds connects up to the
/// `timeout` advice, writes queued events before the connect reply, completes a
/// superseded connect with HTTP 500, forgets sessions idle for `maxInterval`, answers an
/// unknown session with `402::session_unknown` and `reconnect: handshake`, implements the
/// ack extension, and gives `multiple-clients` advice when one cookie holds two polls.
///
/// Work per request does not grow with the number of sessions: sessions are indexed by
/// browser cookie and by user, and idle ones are swept at most once a second of the clock.
actor CometDEngine {
    /// The outcome of one request to the notifications endpoint.
    struct Response: Sendable {
        var status: Int
        var messages: [BayeuxMessage]
        var setCookie: String?
    }

    /// Faults that change the next connect replies, or leave subscribes unanswered.
    struct ConnectFaults: Sendable {
        var reconnectNone = 0
        var multipleClients = 0
        /// The next subscribe messages get no reply and subscribe nothing (a server that
        /// ignores a subscribe batched with a connect).
        var unansweredSubscribes = 0
    }

    var settings: CometDSettings
    private var sessions: [String: CometDSession] = [:]
    /// Session ids by browser cookie and by user, so that nothing scans every session.
    private var byBrowser: [String: Set<String>] = [:]
    private var byUser: [String: Set<String>] = [:]
    private var browsers: Set<String> = []
    private var nextToken: UInt64 = 0
    private var faults = ConnectFaults()
    private let counters: SimulatorCounters
    private let clock: InjectedClock
    private var lastSweep: ContinuousClock.Instant
    /// How often idle sessions are looked for.
    private static let sweepEvery: Duration = .seconds(1)

    init(settings: CometDSettings, counters: SimulatorCounters, clock: InjectedClock) {
        self.settings = settings
        self.counters = counters
        self.clock = clock
        lastSweep = clock.now
    }

    /// How many sessions exist (idle ones past `maxInterval` are swept first).
    var sessionCount: Int {
        sweep(force: true)
        return sessions.count
    }

    /// How many connects are held, waiting for events or their timeout.
    var heldCount: Int { sessions.values.filter { $0.held != nil }.count }

    /// How many sessions have a subscription that matches `channel`.
    func sessionCount(subscribedTo channel: String) -> Int {
        sweep(force: true)
        return sessions.values.filter { $0.subscriptions.contains { $0.matches(channel) } }.count
    }

    func injectConnectFaults(reconnectNone: Int = 0, multipleClients: Int = 0, unansweredSubscribes: Int = 0) {
        faults.reconnectNone += reconnectNone
        faults.multipleClients += multipleClients
        faults.unansweredSubscribes += unansweredSubscribes
    }

    /// Forgets every session, as a server restart would; held connects are answered
    /// with `402::session_unknown`.
    func dropAllSessions() {
        for session in sessions.values {
            session.held?.timer.cancel()
            session.held?.continuation.resume(returning: .dropped)
        }
        sessions = [:]
        byBrowser = [:]
        byUser = [:]
    }

    /// Queues `notifications` for every session of `username` subscribed to their
    /// channels, all of them before any held connect wakes: the notifications of one
    /// change reach a client in one reply.
    func publish(_ notifications: [Notification], username: String) {
        guard let ids = byUser[username] else { return }
        var woken: [String] = []
        for notification in notifications {
            for id in ids where sessions[id]?.wants(notification.channel) == true {
                sessions[id]?.queue.append(BayeuxMessage(channel: notification.channel, ["data": notification.data]))
                woken.append(id)
            }
        }
        for id in woken { wake(id, .events) }
    }

    private func wake(_ id: String, _ reason: CometDSession.Wake) {
        guard let held = sessions[id]?.held else { return }
        sessions[id]?.held = nil
        held.timer.cancel()
        held.continuation.resume(returning: reason)
    }

    private func insert(_ session: CometDSession) {
        sessions[session.id] = session
        byBrowser[session.browser, default: []].insert(session.id)
        byUser[session.username, default: []].insert(session.id)
    }

    private func remove(_ id: String) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        byBrowser[session.browser]?.remove(id)
        if byBrowser[session.browser]?.isEmpty == true { byBrowser[session.browser] = nil }
        byUser[session.username]?.remove(id)
        if byUser[session.username]?.isEmpty == true { byUser[session.username] = nil }
    }

    /// Forgets sessions without a held connect for longer than `maxInterval`, at most once
    /// per ``sweepEvery`` unless `force`.
    private func sweep(force: Bool = false) {
        let now = clock.now
        guard force || lastSweep.duration(to: now) >= Self.sweepEvery else { return }
        lastSweep = now
        let idle = sessions.values.filter {
            $0.held == nil && $0.lastActivity.duration(to: now) > settings.maxInterval
        }
        for session in idle {
            remove(session.id)
            counters.increment(.sessionsSwept)
        }
    }

    /// Handles one POST to the notifications endpoint by `username` with `browser` cookie.
    func handle(_ messages: [BayeuxMessage], browser: String?, username: String) async -> Response {
        sweep()
        var replies: [BayeuxMessage] = []
        var setCookie: String?
        var status = 200
        for message in messages {
            var reply = BayeuxMessage(channel: message.channel, ["successful": true])
            reply.id = message.id
            switch message.channel {
            case "/meta/handshake":
                let (handshake, cookie) = handshake(message, browser: browser, username: username)
                reply = handshake
                setCookie = cookie
            case "/meta/connect":
                let (events, connect, superseded) = await connect(message, browser: browser)
                if superseded { status = 500 }
                replies += events
                reply = connect
            case "/meta/subscribe" where faults.unansweredSubscribes > 0:
                faults.unansweredSubscribes -= 1
                counters.increment(.faultsApplied)
                continue
            case "/meta/subscribe", "/meta/unsubscribe":
                reply = subscription(message, browser: browser)
            case "/meta/disconnect":
                if let id = validSession(message, browser: browser) {
                    wake(id, .dropped)
                    remove(id)
                } else {
                    reply = unknownSession(message, advice: false)
                }
            default:
                // A publish from the client: accepted, not broadcast (GWS topics are server-owned).
                break
            }
            replies.append(reply)
        }
        return Response(status: status, messages: status == 200 ? replies : [], setCookie: setCookie)
    }

    /// The advice every successful handshake and connect reply carries.
    private var standardAdvice: JSONObject {
        [
            "reconnect": "retry", "interval": .int(settings.interval.wholeMilliseconds),
            "timeout": .int(settings.timeout.wholeMilliseconds),
        ]
    }

    /// The session `message` names, when it exists and belongs to `browser`. A session idle
    /// past `maxInterval` is gone, whether or not the sweep has found it yet.
    private func validSession(_ message: BayeuxMessage, browser: String?) -> String? {
        guard let id = message.clientId, let session = sessions[id], session.browser == browser else { return nil }
        if session.held == nil && session.lastActivity.duration(to: clock.now) > settings.maxInterval {
            remove(id)
            counters.increment(.sessionsSwept)
            return nil
        }
        return id
    }

    private func unknownSession(_ message: BayeuxMessage, advice: Bool) -> BayeuxMessage {
        counters.increment(.unknownSession)
        var reply = BayeuxMessage(channel: message.channel, ["successful": false, "error": "402::session_unknown"])
        reply.id = message.id
        if advice { reply.fields["advice"] = ["reconnect": "handshake", "interval": 0] }
        return reply
    }

    private func handshake(_ message: BayeuxMessage, browser: String?, username: String) -> (BayeuxMessage, String?) {
        counters.increment(.handshakes)
        var reply = BayeuxMessage(channel: "/meta/handshake", ["successful": true])
        reply.id = message.id
        let offered = message.fields["supportedConnectionTypes"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard offered.contains("long-polling") else {
            reply.fields["successful"] = false
            reply.fields["error"] = "403::handshake_denied"
            reply.fields["advice"] = ["reconnect": "none"]
            return (reply, nil)
        }
        var cookie: String?
        let browserID: String
        if let browser, browsers.contains(browser) {
            browserID = browser
        } else {
            browserID = randomIdentifier(length: 24)
            browsers.insert(browserID)
            cookie = "BAYEUX_BROWSER=\(browserID); Path=/; HttpOnly"
        }
        let id = randomIdentifier(length: 26)
        var session = CometDSession(id: id, browser: browserID, username: username, lastActivity: clock.now)
        session.ackEnabled = message.ext?["ack"]?.boolValue == true
        insert(session)
        reply.clientId = id
        reply.fields["version"] = "1.0"
        reply.fields["supportedConnectionTypes"] = ["long-polling"]
        var advice = standardAdvice
        if settings.advertiseMaxInterval { advice["maxInterval"] = .int(settings.maxInterval.wholeMilliseconds) }
        reply.fields["advice"] = .object(advice)
        if session.ackEnabled { reply.setExt("ack", true) }
        return (reply, cookie)
    }

    private func subscription(_ message: BayeuxMessage, browser: String?) -> BayeuxMessage {
        guard let id = validSession(message, browser: browser) else { return unknownSession(message, advice: false) }
        var reply = BayeuxMessage(channel: message.channel, ["successful": true])
        reply.id = message.id
        if let subscription = message.fields["subscription"] { reply.fields["subscription"] = subscription }
        let patterns = message.subscriptions.map { ($0, ChannelPattern($0)) }
        if patterns.isEmpty || patterns.contains(where: { $0.1 == nil || $0.0.hasPrefix("/meta/") }) {
            reply.fields["successful"] = false
            reply.fields["error"] = patterns.isEmpty ? "400::subscription_missing" : "403::subscription_invalid"
            return reply
        }
        for (_, pattern) in patterns {
            guard let pattern else { continue }
            if message.channel == "/meta/subscribe" {
                if sessions[id]?.subscriptions.contains(pattern) == false {
                    sessions[id]?.subscriptions.append(pattern)
                }
            } else {
                sessions[id]?.subscriptions.removeAll { $0 == pattern }
            }
        }
        return reply
    }

    /// Handles a connect; returns the events to write before the reply, the reply, and
    /// whether a newer connect superseded this one (the request then gets HTTP 500).
    private func connect(_ message: BayeuxMessage, browser: String?) async -> ([BayeuxMessage], BayeuxMessage, Bool) {
        counters.increment(.connects)
        guard let id = validSession(message, browser: browser) else {
            return ([], unknownSession(message, advice: true), false)
        }
        var reply = BayeuxMessage(channel: "/meta/connect", ["successful": true])
        reply.id = message.id
        var advice = standardAdvice
        if faults.reconnectNone > 0 {
            faults.reconnectNone -= 1
            remove(id)
            reply.fields["successful"] = false
            reply.fields["error"] = "403::server refused the session"
            reply.fields["advice"] = ["reconnect": "none"]
            return ([], reply, false)
        }
        // A second connect while one is held: the older one ends with HTTP 500.
        if sessions[id]?.held != nil {
            counters.increment(.duplicateConnects)
            wake(id, .superseded)
        }
        sessions[id]?.lastActivity = clock.now
        if let clientAck = message.ext?["ack"]?.intValue, sessions[id]?.ackEnabled == true {
            sessions[id]?.unacknowledged.removeAll { $0.batch <= clientAck }
        }
        let siblings = sessions[id].flatMap { byBrowser[$0.browser] } ?? []
        let othersHolding = siblings.filter { $0 != id && sessions[$0]?.held != nil }.count
        let multiple = faults.multipleClients > 0 || othersHolding >= settings.maxSessionsPerBrowser
        if faults.multipleClients > 0 { faults.multipleClients -= 1 }
        let immediate =
            multiple || message.fields["advice"]?["timeout"]?.intValue == 0
            || sessions[id]?.queue.isEmpty == false || sessions[id]?.unacknowledged.isEmpty == false
        if !immediate {
            nextToken += 1
            let token = nextToken
            // A hold time the client asks for (`advice.timeout`, for proxies that cut idle
            // connections) is honoured when shorter than the server's, as CometD does.
            var timeout = settings.timeout
            if let asked = message.fields["advice"]?["timeout"]?.intValue, asked > 0 {
                timeout = min(timeout, .milliseconds(asked))
            }
            let clock = self.clock
            let deadline = clock.now + timeout
            let wake = await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<CometDSession.Wake, Never>) in
                    let timer = Task { [weak self] in
                        guard (try? await clock.sleep(until: deadline)) != nil else { return }
                        await self?.end(id, token: token, .timeout)
                    }
                    sessions[id]?.held = CometDSession.Held(token: token, continuation: continuation, timer: timer)
                }
            } onCancel: {
                Task { [weak self] in await self?.end(id, token: token, .abandoned) }
            }
            switch wake {
            case .superseded, .abandoned: return ([], reply, true)
            case .dropped: return ([], unknownSession(message, advice: true), false)
            case .events, .timeout: break
            }
        }
        guard sessions[id] != nil else { return ([], unknownSession(message, advice: true), false) }
        sessions[id]?.lastActivity = clock.now
        if multiple {
            advice["multiple-clients"] = true
            advice["interval"] = .int(settings.multiSessionInterval.wholeMilliseconds)
        }
        reply.fields["advice"] = .object(advice)
        var events = sessions[id]?.queue ?? []
        sessions[id]?.queue = []
        if sessions[id]?.ackEnabled == true, var session = sessions[id] {
            if !events.isEmpty {
                session.lastBatch += 1
                session.unacknowledged.append((session.lastBatch, events))
            }
            events = session.unacknowledged.flatMap(\.messages)
            reply.setExt("ack", .int(session.lastBatch))
            sessions[id] = session
        }
        counters.add(.messagesDelivered, events.count)
        return (events, reply, false)
    }

    /// Ends the hold of connect `token` of session `id` (its hold time passed, or its task
    /// was cancelled), if that connect is still the one held.
    private func end(_ id: String, token: UInt64, _ reason: CometDSession.Wake) {
        guard let held = sessions[id]?.held, held.token == token else { return }
        wake(id, reason)
    }
}

/// A random identifier of lowercase letters and digits, like CometD's session ids.
func randomIdentifier(length: Int) -> String {
    let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    return String((0..<length).map { _ in alphabet.randomElement() ?? "x" })
}
