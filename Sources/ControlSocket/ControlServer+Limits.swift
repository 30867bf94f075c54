extension ControlServer {
    /// The bounds on what clients can make the server hold.
    public struct Limits: Sendable {
        /// The longest request line, newline excluded.
        public var maxLineBytes: Int
        /// Clients connected at once (``reservedClients`` more are kept for `reload` and `ping`).
        public var maxClients: Int
        /// Connections beyond `maxClients` kept for `reload` and `ping`: more than one, since
        /// `gws-agentd reload` may find the daemon with one connection and ask on the next
        /// before the server has seen the first one close.
        public var reservedClients: Int
        /// Output queued for one client; past it the client is dropped.
        public var maxPendingOutput: Int
        /// Requests handled from one client per round of the loop.
        public var maxRequestsPerRound: Int
        /// A client that sends no complete request for this long, with nothing in flight for
        /// it and no subscription, is dropped.
        public var idleTimeout: Duration
        /// A line begun and not finished within this is dropped with its client.
        public var partialLineTimeout: Duration
        /// Replies waiting this long without the client reading any of them drop it.
        public var stallTimeout: Duration

        public init(
            maxLineBytes: Int = 64 * 1024, maxClients: Int = 128, reservedClients: Int = 4,
            maxPendingOutput: Int = 256 * 1024,
            maxRequestsPerRound: Int = 32, idleTimeout: Duration = .seconds(60),
            partialLineTimeout: Duration = .seconds(10), stallTimeout: Duration = .seconds(10)
        ) {
            self.maxLineBytes = maxLineBytes
            self.maxClients = maxClients
            self.reservedClients = reservedClients
            self.maxPendingOutput = maxPendingOutput
            self.maxRequestsPerRound = maxRequestsPerRound
            self.idleTimeout = idleTimeout
            self.partialLineTimeout = partialLineTimeout
            self.stallTimeout = stallTimeout
        }
    }

    /// Why the server dropped a client.
    public enum DropReason: String, Sendable, Equatable {
        case lineTooLong = "a request line longer than the limit"
        case outputOverflow = "replies queued past the limit (the client does not read them)"
        case stalled = "replies unread for too long"
        case idle = "no request for too long"
        case partialLine = "a request line left unfinished"
        case reservedSlot = "the slot kept for reload used for another request"
        case tooManyClients = "every slot taken (the connection was refused)"
    }
}
