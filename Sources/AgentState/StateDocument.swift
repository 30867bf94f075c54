import GWS
import JSON
import Text

/// The state file's content (schema 1): the product's API for other programs.
///
/// `docs/state-file.md` documents every member and `docs/state-file.schema.json` is its
/// JSON Schema. Members are snake_case; absent values are written as `null`.
public struct StateDocument: Sendable, Equatable {
    /// The schema version this type reads and writes.
    public static let schemaVersion = 1

    /// `gws-agentd <version>`.
    public var generator: String
    public var pid: Int
    /// systemd's `$INVOCATION_ID` (new on every start), when run by systemd.
    public var invocationID: String?
    /// How often the file's mtime is touched; older than 3 × this means stale.
    public var heartbeatSeconds: Int
    /// Grows by one with every content change written by this process.
    public var seq: Int
    /// When the content last changed (RFC 3339, UTC).
    public var changedAt: String
    public var connection: Connection
    public var agent: Agent

    public init(
        generator: String, pid: Int, invocationID: String?, heartbeatSeconds: Int, seq: Int, changedAt: String,
        connection: Connection, agent: Agent
    ) {
        self.generator = generator
        self.pid = pid
        self.invocationID = invocationID
        self.heartbeatSeconds = heartbeatSeconds
        self.seq = seq
        self.changedAt = changedAt
        self.connection = connection
        self.agent = agent
    }

    /// Whether two documents say the same thing, ignoring `seq` and `changed_at`.
    public func hasSameContent(as other: StateDocument) -> Bool {
        var a = self
        var b = other
        a.seq = 0
        b.seq = 0
        a.changedAt = ""
        b.changedAt = ""
        return a == b
    }

    /// The connection to GWS.
    public struct Connection: Sendable, Equatable {
        public var state: ConnectionState
        /// Since when the connection has been in ``state``.
        public var since: String?
        /// The current Bayeux session id.
        public var clientID: String?
        /// Successful handshakes since the daemon started.
        public var handshakes: Int
        public var lastError: LastError?
        /// The base URL of the GWS node in use (or being logged in to); with several
        /// `server.url` entries, the one the daemon failed over to.
        public var server: String?

        /// `true` only while deliveries flow.
        public var connected: Bool { state == .connected }

        public init(
            state: ConnectionState, since: String?, clientID: String?, handshakes: Int, lastError: LastError?,
            server: String? = nil
        ) {
            self.state = state
            self.since = since
            self.clientID = clientID
            self.handshakes = handshakes
            self.lastError = lastError
            self.server = server
        }
    }

    /// What the connection is doing.
    public enum ConnectionState: String, Sendable, Equatable, CaseIterable {
        /// Logging in or handshaking for the first time.
        case connecting
        /// Connected; notifications flow.
        case connected
        /// The session exists but the last long poll failed; retrying.
        case unconnected
        /// The session was lost (the Bayeux session, or GWS's HTTP session); logging in or
        /// handshaking again.
        case rehandshaking
        /// Not connected and not trying (the server refused the session, for example).
        case disconnected
        /// The daemon stopped.
        case stopped
    }

    /// The last error seen on the connection.
    public struct LastError: Sendable, Equatable {
        /// One line, safe for a log, `STATUS=` or a terminal: it may hold text from the
        /// server (a GWS message, a Bayeux error, an excerpt of an error body), so control
        /// characters are escaped and the length capped here, whatever the source.
        public var message: String
        public var at: String

        /// The longest message kept, in characters.
        public static let maximumLength = 400

        public init(message: String, at: String) {
            self.message = ServerText.sanitized(message, limit: Self.maximumLength)
            self.at = at
        }
    }

    /// The agent.
    public struct Agent: Sendable, Equatable {
        public var username: String
        /// `Ready`, `NotReady`, `LoggedOut`, `LoggedIn`, `Mixed`, `Unknown`, or another
        /// state name GWS reports.
        public var state: String
        public var workMode: String?
        public var reason: String?
        public var dnd: Bool?
        /// The picture reflects a snapshot of the current session plus every notification since.
        public var synced: Bool
        public var devices: [Device]
        public var channels: [Channel]
        public var lastNotificationAt: String?
        /// When ``state``, ``workMode`` and ``reason`` took their values (RFC 3339), `nil`
        /// when unknown (first learned from a REST snapshot).
        public var stateSince: String?
        /// When ``dnd`` took its value, `nil` when unknown.
        public var dndSince: String?
        /// Whether the agent has a live call (dialing, ringing, established or held): `nil`
        /// when that is not known (calls not followed, or not read since the last handshake).
        public var onCall: Bool?
        /// The live calls; `nil` when calls are not followed. When ``onCall`` is `nil`, the
        /// calls notifications told of since, which may not be all.
        public var calls: [Call]?

        public init(
            username: String, state: String, workMode: String?, reason: String?, dnd: Bool?, synced: Bool,
            devices: [Device], channels: [Channel], lastNotificationAt: String?, stateSince: String? = nil,
            dndSince: String? = nil, onCall: Bool? = nil, calls: [Call]? = nil
        ) {
            self.onCall = onCall
            self.calls = calls
            self.username = username
            self.state = state
            self.workMode = workMode
            self.reason = reason
            self.dnd = dnd
            self.synced = synced
            self.devices = devices
            self.channels = channels
            self.lastNotificationAt = lastNotificationAt
            self.stateSince = stateSince
            self.dndSince = dndSince
        }
    }

    /// One voice device.
    public struct Device: Sendable, Equatable {
        public var id: String?
        public var deviceState: String?
        public var state: String?
        public var workMode: String?
        public var reason: String?
        public var displayName: String?
        public var dnd: Bool?
        public var phoneNumber: String?
        public var capabilities: [String]
        /// When ``state``, ``workMode`` and ``reason`` took their values, `nil` when unknown.
        public var since: String?

        public init(
            id: String?, deviceState: String?, state: String?, workMode: String?, reason: String?,
            displayName: String?, dnd: Bool?, phoneNumber: String?, capabilities: [String], since: String? = nil
        ) {
            self.id = id
            self.deviceState = deviceState
            self.state = state
            self.workMode = workMode
            self.reason = reason
            self.displayName = displayName
            self.dnd = dnd
            self.phoneNumber = phoneNumber
            self.capabilities = capabilities
            self.since = since
        }
    }

    /// One live call.
    public struct Call: Sendable, Equatable {
        public var id: String
        public var state: String?
        /// `Inbound`, `Outbound`, `Internal`, … (GWS's `callType`).
        public var type: String?
        /// The device the call is on.
        public var deviceID: String?
        /// When the call took its ``state``; `nil` when first learned from a REST read.
        public var since: String?
        /// The other parties' numbers: only with `calls.publish_details`, else `nil`.
        public var participants: [String]?
        /// The call's attached data (a JSON object): only with `calls.publish_details`, else `nil`.
        public var attachedData: JSONObject?

        public init(
            id: String, state: String?, type: String?, deviceID: String?, since: String?,
            participants: [String]? = nil, attachedData: JSONObject? = nil
        ) {
            self.id = id
            self.state = state
            self.type = type
            self.deviceID = deviceID
            self.since = since
            self.participants = participants
            self.attachedData = attachedData
        }
    }

    /// One media channel.
    public struct Channel: Sendable, Equatable {
        public var name: String?
        public var state: String?
        public var workMode: String?
        public var reason: String?
        public var displayName: String?
        public var dnd: Bool?
        /// When ``state``, ``workMode`` and ``reason`` took their values, `nil` when unknown.
        public var since: String?

        public init(
            name: String?, state: String?, workMode: String?, reason: String?, displayName: String?, dnd: Bool?,
            since: String? = nil
        ) {
            self.name = name
            self.state = state
            self.workMode = workMode
            self.reason = reason
            self.displayName = displayName
            self.dnd = dnd
            self.since = since
        }
    }
}

extension StateDocument.Agent {
    /// The agent part of the document, built from the cache, with the starts `since` knows.
    public init(
        username: String, cache: AgentCache, since: StateSince = StateSince(), synced: Bool,
        lastNotificationAt: String?, tracksCalls: Bool = false
    ) {
        let summary = AgentSummary(cache)
        self.init(
            username: username, state: summary.state, workMode: summary.workMode, reason: summary.reason,
            dnd: summary.dnd, synced: synced,
            devices: cache.devices.map { device in
                StateDocument.Device(
                    id: device.id, deviceState: device.deviceState, state: device.userState?.state,
                    workMode: device.userState?.workMode, reason: device.userState?.reason,
                    displayName: device.userState?.displayName, dnd: device.doNotDisturb,
                    phoneNumber: device.phoneNumber, capabilities: device.capabilities ?? [])
            },
            channels: cache.channels.map { channel in
                StateDocument.Channel(
                    name: channel.name, state: channel.userState?.state, workMode: channel.userState?.workMode,
                    reason: channel.userState?.reason, displayName: channel.userState?.displayName, dnd: channel.dnd)
            },
            lastNotificationAt: lastNotificationAt)
        if tracksCalls {
            calls = cache.calls.map { call in
                StateDocument.Call(
                    id: call.resource.id, state: call.resource.state, type: call.resource.callType,
                    deviceID: call.resource.deviceID, since: call.since, participants: call.resource.participants,
                    attachedData: call.resource.attachedData)
            }
            onCall = cache.onCall
        }
        stateSince = since.agentSince(self)
        dndSince = since.dndSince(self)
        for index in devices.indices { devices[index].since = since.since(of: devices[index], index: index) }
        for index in channels.indices { channels[index].since = since.since(of: channels[index], index: index) }
    }
}
