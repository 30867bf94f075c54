import ScriptedHTTPServer

/// One GWS node of the simulated cluster: its listener, its HTTP sessions and its CometD
/// engine. Nothing here is shared with the other nodes, as on a GWS cluster without
/// session replication: a client that moves to another node meets an unknown
/// `JSESSIONID` (so a CSRF refusal) and an unknown Bayeux session.
struct SimulatorNode {
    let index: Int
    var port = 0
    var server: ScriptedHTTPServer?
    var httpSessions: HTTPSessions
    let engine: CometDEngine

    /// Whether the node is listening.
    var isUp: Bool { server != nil }
}
