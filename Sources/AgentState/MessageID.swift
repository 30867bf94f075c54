/// Stable journal `MESSAGE_ID`s of the events a log pipeline alerts on, so that it matches
/// events without parsing their text (`docs/logging.md` lists them with their fields).
/// Never change a value: pipelines depend on it.
public enum MessageID {
    /// The metadata key that carries the ID (`MESSAGE_ID` in the journal, `message_id` in
    /// JSON lines).
    public static let key = "message_id"

    /// Connected to GWS: notifications flow.
    public static let connected = "c7f04c217e7c42b7a35008fb02cf6f5f"
    /// The connection was lost (a failed long poll, a lost session, a refusal).
    public static let connectionLost = "9b56046085274905a5d5c2f264c53b4f"
    /// The picture was read again from the REST snapshot.
    public static let resynced = "f31531c358e94a5f9fc987865cda9119"
    /// The agent's state or DND changed.
    public static let agentChanged = "b0ca0bc2294541499c1bfe437f3c50e3"
    /// A call of the agent took a new state (rang, was answered, held, retrieved, released).
    public static let callChanged = "2e8a9cdaefbd4a10978cd2b16c687e2d"
    /// One device or channel took a new state, work mode, reason or DND.
    public static let partChanged = "c30a2d3ab7e0497284b6344076bd37fd"
    /// The daemon is stopping (SIGTERM or SIGINT): what it knew of every agent ends here.
    public static let daemonStopping = "b593defd0c3d4923962dd532d0d39932"
    /// The daemon gave up (credentials refused again and again, the server ended the session).
    public static let givingUp = "0e2e54ac08044e77a1cffd18f5bbed32"
    /// An operator command through the control socket (`set`, `reload`).
    public static let operatorCommand = "401f78472744491faffee705363105ac"
}
