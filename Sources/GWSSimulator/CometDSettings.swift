/// How the simulated CometD 3 server behaves (its server-side options).
public struct CometDSettings: Sendable, Equatable {
    /// How long a `/meta/connect` is held when there is nothing to deliver.
    public var timeout: Duration
    /// The `interval` advice.
    public var interval: Duration
    /// How long a session lives without a connect before it is swept.
    public var maxInterval: Duration
    /// Whether `maxInterval` is sent in the advice (CometD's `handshakeReconnect`).
    public var advertiseMaxInterval: Bool
    /// Sessions per browser cookie that may hold a connect at once before
    /// `multiple-clients` advice kicks in (CometD: 1 on HTTP/1.1).
    public var maxSessionsPerBrowser: Int
    /// The interval advised with `multiple-clients`.
    public var multiSessionInterval: Duration

    public init(
        timeout: Duration = .seconds(25), interval: Duration = .zero, maxInterval: Duration = .seconds(10),
        advertiseMaxInterval: Bool = true, maxSessionsPerBrowser: Int = 1, multiSessionInterval: Duration = .seconds(2)
    ) {
        self.timeout = timeout
        self.interval = interval
        self.maxInterval = maxInterval
        self.advertiseMaxInterval = advertiseMaxInterval
        self.maxSessionsPerBrowser = maxSessionsPerBrowser
        self.multiSessionInterval = multiSessionInterval
    }
}
