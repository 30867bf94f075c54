import JSON

/// What the server wants the client to do after a reply (`advice.reconnect`).
public enum ReconnectAdvice: String, Sendable, Equatable {
    /// Send another `/meta/connect` with the same client id.
    case retry
    /// The session is gone: handshake again.
    case handshake
    /// Stop: neither retry nor handshake.
    case none
}

/// The server's advice, merged field by field from every reply that carries some.
///
/// Advice is reset at every handshake so stale values (a `reconnect: handshake` left over
/// from a previous session, cometd#722) never outlive the session they came from.
public struct Advice: Sendable, Equatable {
    /// The last `reconnect` value received, if any.
    public var reconnect: ReconnectAdvice?
    /// How long to wait between the end of one connect and the next; negative = stop.
    public var interval: Duration
    /// How long the server holds a `/meta/connect`.
    public var timeout: Duration
    /// How long the server keeps a session that has no outstanding connect (CometD).
    public var maxInterval: Duration?
    /// Whether the server saw more than one session sharing our browser cookie.
    public var multipleClients: Bool

    /// Defaults before any server advice: the CometD server defaults.
    public static let initial = Advice(
        reconnect: nil, interval: .zero, timeout: .seconds(30), maxInterval: nil, multipleClients: false)

    public init(
        reconnect: ReconnectAdvice?, interval: Duration, timeout: Duration, maxInterval: Duration?,
        multipleClients: Bool
    ) {
        self.reconnect = reconnect
        self.interval = interval
        self.timeout = timeout
        self.maxInterval = maxInterval
        self.multipleClients = multipleClients
    }

    /// Merges the members present in an `advice` object; absent members keep their value.
    /// A transport-scoped advice (`{"long-polling": {...}}`) takes precedence.
    public mutating func merge(_ advice: JSONValue?, transport: String = "long-polling") {
        guard let advice else { return }
        apply(advice)
        if let scoped = advice[transport] { apply(scoped) }
    }

    /// The longest `interval` followed: a server cannot park the client for hours.
    public static let maximumInterval: Duration = .seconds(60)
    /// The longest `timeout` (long-poll hold) believed: the watchdog's allowance follows it,
    /// so a hostile value must not blind the watchdog.
    public static let maximumTimeout: Duration = .seconds(300)
    /// The longest `maxInterval` believed.
    public static let maximumMaxInterval: Duration = .seconds(600)

    private mutating func apply(_ advice: JSONValue) {
        if let r = advice["reconnect"]?.stringValue, let value = ReconnectAdvice(rawValue: r) { reconnect = value }
        // Clamped to documented ranges (docs/architecture.md); a negative interval keeps its meaning.
        if let ms = advice["interval"]?.doubleValue { interval = Swift.min(.milliseconds(ms), Self.maximumInterval) }
        if let ms = advice["timeout"]?.doubleValue, ms >= 0 {
            timeout = Swift.min(.milliseconds(ms), Self.maximumTimeout)
        }
        if let ms = advice["maxInterval"]?.doubleValue {
            maxInterval = ms > 0 ? Swift.min(.milliseconds(ms), Self.maximumMaxInterval) : nil
        }
        if let multiple = advice["multiple-clients"]?.boolValue { multipleClients = multiple }
    }

    /// The `reconnect` value a single reply carries, without merging it.
    public static func reconnect(in advice: JSONValue?) -> ReconnectAdvice? {
        guard let advice else { return nil }
        let value = advice["long-polling"]?["reconnect"]?.stringValue ?? advice["reconnect"]?.stringValue
        return value.flatMap(ReconnectAdvice.init(rawValue:))
    }
}

extension Duration {
    /// A duration of `ms` milliseconds, clamped to a day either way so that hostile
    /// advice cannot overflow arithmetic.
    static func milliseconds(_ ms: Double) -> Duration {
        let clamped = Swift.min(Swift.max(ms, -86_400_000), 86_400_000)
        return .microseconds(Int64(clamped * 1000))
    }

    /// Whole milliseconds, rounded down.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
