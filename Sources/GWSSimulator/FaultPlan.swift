/// A misbehaviour the simulator applies to upcoming requests.
public enum Fault: Sendable, Equatable {
    /// Answer with this HTTP status and an HTML error page.
    case status(Int)
    /// Wait this long before handling the request normally.
    case delay(Duration)
    /// Never answer.
    case hang
    /// A 200 with a body that is not JSON.
    case malformed
    /// A 200 with an empty body.
    case empty
    /// A 200 with a body of this many bytes.
    case oversized(Int)
    /// Announce a body, send part of it, close the connection.
    case closeMidBody
    /// A 200 whose JSON holds one object with this many distinct keys (hostile).
    case manyKeys(Int)
    /// A notification whose data holds this many empty objects (`[{},{},…]`): small on the
    /// wire, costly for a parser that reserves room per object.
    case manyObjects(Int)
    /// A 200 whose JSON nests arrays this deep (hostile).
    case deepNesting(Int)
    /// A valid body sent one byte every 100 ms (slow or hostile).
    case trickle
    /// A 200 with a header line of this many bytes (hostile).
    case hugeHeader(Int)
    /// A 200 with a chunked body that never ends (hostile).
    case endlessBody
    /// This status with a body that echoes every request header, credentials included, as
    /// a careless proxy's error page does (hostile: the client must not repeat them).
    case echo(status: Int)
}

/// Which requests a fault applies to.
public enum FaultTarget: String, Sendable, Equatable {
    case any, cometd, rest
    /// REST requests that carry a session cookie (a resync or an operation; not a login).
    case restInSession = "rest-in-session"
    /// Reads and operations of calls (`/api/v2/me/calls…`).
    case calls
}

/// Faults waiting to be applied, in order, each to one request.
struct FaultPlan {
    private var pending: [(fault: Fault, target: FaultTarget)] = []

    mutating func add(_ fault: Fault, count: Int, target: FaultTarget) {
        pending += Array(repeating: (fault, target), count: max(0, count))
    }

    /// Takes the next fault for a request to the CometD endpoint (`cometd`) or REST, with
    /// or without a session cookie.
    mutating func next(cometd: Bool, inSession: Bool, calls: Bool = false) -> Fault? {
        let index = pending.firstIndex { entry in
            switch entry.target {
            case .any: return true
            case .cometd: return cometd
            case .rest: return !cometd
            case .restInSession: return !cometd && inSession
            case .calls: return calls
            }
        }
        return index.map { pending.remove(at: $0).fault }
    }

    mutating func clear() { pending = [] }
}

/// One request as the simulator's log records it: no header values, no bodies.
public struct LoggedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    /// Header names present, lowercased and sorted.
    public var headers: [String]
    /// The Bayeux channels of a CometD request, in order.
    public var channels: [String]
    public var status: Int
    /// The node of the cluster that served it (0 on a single node).
    public var node: Int = 0
    /// Names of the cookies the request carried, sorted (no values).
    public var cookies: [String] = []
    /// Whether an injected fault answered it.
    public var faulted = false
    /// When it was answered (for recovery times measured from a fault's first effect).
    public var at: ContinuousClock.Instant
}
