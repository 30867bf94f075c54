import JSON

/// The agent state GWS reports for one device or channel (`userState`).
///
/// Only `state` matters for the agent's picture; the other members are optional in real
/// traffic (a device may report just `{"state":"LoggedIn"}`). Unknown state names are
/// kept as they are, never rejected.
public struct UserState: Sendable, Equatable {
    /// `Ready`, `NotReady`, `LoggedOut`, `LoggedIn`, or whatever else the server says.
    public var state: String?
    /// `AfterCallWork`, `AuxWork`, … (only with `NotReady`).
    public var workMode: String?
    /// A configured Not Ready reason, e.g. `Lunch`.
    public var reason: String?
    /// The human label, e.g. `Not Ready`.
    public var displayName: String?
    /// The GUID of the agent-state definition (compare case-insensitively).
    public var id: String?

    public init(
        state: String?, workMode: String? = nil, reason: String? = nil, displayName: String? = nil, id: String? = nil
    ) {
        self.state = state
        self.workMode = workMode
        self.reason = reason
        self.displayName = displayName
        self.id = id
    }

    /// Reads a `userState` object; `nil` when the value is not an object. `reasonCode`
    /// is accepted for `reason`, as one documentation page spells it.
    public init?(json: JSONValue?) {
        guard let object = json?.objectValue else { return nil }
        state = object["state"]?.lenientString
        workMode = object["workMode"]?.lenientString
        reason = object["reason"]?.lenientString ?? object["reasonCode"]?.lenientString
        displayName = object["displayName"]?.lenientString
        id = object["id"]?.lenientString
    }
}
