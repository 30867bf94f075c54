import JSON

/// One voice call as GWS reports it in `CallStateChangeMessage` on `/v2/me/calls` and in
/// `GET /api/v2/me/calls?fields=*`.
///
/// Read leniently: every member but the id may be missing. The participants' numbers
/// and the attached data (`userData`) are personal data; they are read here, and the
/// state layer decides whether they are kept.
public struct CallResource: Sendable, Equatable {
    /// The call's id (`id`), which later notifications about it repeat.
    public var id: String
    /// `Dialing`, `Ringing`, `Established`, `Held`, `Released`, or another state GWS names.
    public var state: String?
    /// `Inbound`, `Outbound`, `Internal`, or another type GWS names.
    public var callType: String?
    /// The id of the device the call is on: the last path segment of `deviceUri`.
    public var deviceID: String?
    /// The other parties' numbers (`participants`, or the digits of `participantsInfo`).
    public var participants: [String]?
    /// The call's attached data (`userData`), as GWS sent it.
    public var attachedData: JSONObject?

    /// The state GWS gives a call that has ended; it is dropped from the agent's calls.
    public static let releasedState = "Released"

    /// The most participants and attached-data keys kept for one call: a real call has a
    /// handful; the caps bound what a broken server can make the daemon hold and write.
    public static let maximumParticipants = 32
    public static let maximumAttachedKeys = 256

    public init(
        id: String, state: String?, callType: String? = nil, deviceID: String? = nil, participants: [String]? = nil,
        attachedData: JSONObject? = nil
    ) {
        self.id = id
        self.state = state
        self.callType = callType
        self.deviceID = deviceID
        self.participants = participants
        self.attachedData = attachedData
    }

    /// Reads one call object; `nil` when the value is not an object or has no usable id.
    public init?(json: JSONValue) {
        guard let object = json.objectValue, let id = object["id"]?.lenientString, !id.isEmpty else { return nil }
        self.id = id
        state = object["state"]?.lenientString
        callType = object["callType"]?.lenientString
        deviceID = object["deviceUri"]?.lenientString.flatMap(Self.lastSegment)
        if let list = object["participants"]?.arrayValue {
            participants = Array(list.compactMap(\.lenientString).prefix(Self.maximumParticipants))
        } else if let info = object["participantsInfo"]?.arrayValue {
            participants = Array(
                info.compactMap { $0["digits"]?.lenientString ?? $0["e164Number"]?.lenientString }
                    .prefix(Self.maximumParticipants))
        }
        if let data = object["userData"]?.objectValue {
            attachedData = JSONObject(data.prefix(Self.maximumAttachedKeys).map { ($0.key, $0.value) })
        }
    }

    /// Whether the call has ended.
    public var isReleased: Bool { state == Self.releasedState }

    /// `…/devices/bf78972f` → `bf78972f`; `nil` for an empty segment.
    static func lastSegment(of uri: String) -> String? {
        let path = uri.split(separator: "?", maxSplits: 1).first ?? ""
        guard let last = path.split(separator: "/", omittingEmptySubsequences: false).last, !last.isEmpty else {
            return nil
        }
        return String(last)
    }
}

/// A `CallStateChangeMessage`: what happened (`notificationType`) and the call as it now is.
public struct CallNotification: Sendable, Equatable {
    /// `StatusChange`, `ParticipantsUpdated`, `AttachedDataChanged`, or another kind.
    public var kind: String?
    public var call: CallResource

    public init(kind: String?, call: CallResource) {
        self.kind = kind
        self.call = call
    }
}

extension CallResource {
    /// Decodes the reply of `GET /api/v2/me/calls?fields=*`: `{"statusCode":0,"calls":[…]}`.
    ///
    /// Entries that are not call objects are skipped; a reply of `uris` only (the form
    /// without `fields`) is not a list of calls and is refused.
    public static func decodeList(_ body: some Collection<UInt8>) throws(GWSReplyError) -> [CallResource] {
        let object = try GWSReply.object(from: body)
        try GWSReply.checkStatus(object)
        guard let calls = object["calls"]?.arrayValue else { throw .unexpectedShape("no calls array") }
        return calls.compactMap(CallResource.init(json:))
    }
}
