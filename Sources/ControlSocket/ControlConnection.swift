/// One client of the control socket, as the daemon sees it: who it is, and where its
/// replies go. Sending from any thread only queues; nothing blocks.
public struct ControlConnection: Sendable, Hashable {
    /// Unique for the life of the server.
    public let id: Int
    /// The connecting process, from `SO_PEERCRED`.
    public let peer: PeerCredentials
    private let server: ControlServer

    init(id: Int, peer: PeerCredentials, server: ControlServer) {
        self.id = id
        self.peer = peer
        self.server = server
    }

    /// Queues a line (a reply or an event) for the client.
    public func send(_ line: [UInt8]) { server.enqueue(line, to: id) }

    /// Queues a last line, then closes the connection.
    public func finish(with line: [UInt8]) { server.enqueue(line, to: id, close: true) }

    /// Something the daemon does for this client began (a request in flight, a
    /// subscription): while any is under way the client is not idle.
    public func beginActivity() { server.activity(of: id, 1) }

    /// What ``beginActivity()`` began has ended.
    public func endActivity() { server.activity(of: id, -1) }

    public static func == (lhs: ControlConnection, rhs: ControlConnection) -> Bool { lhs.id == rhs.id }
    public func hash(into hasher: inout Hasher) { hasher.combine(id) }
}
