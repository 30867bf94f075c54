import BayeuxCore

extension ServerSettings {
    /// The retry pacing `server.backoff_*` asks for: logins, resyncs and Bayeux requests alike.
    public var backoff: BackoffPolicy { BackoffPolicy(increment: backoffIncrement, maximum: backoffMaximum) }

    /// A Bayeux session's settings from `server.*`: the network allowance, the backoff and
    /// the hold time asked for on every long poll.
    public var bayeuxSession: SessionConfiguration {
        SessionConfiguration(maxNetworkDelay: maxNetworkDelay, backoff: backoff, requestedTimeout: requestedTimeout)
    }
}
