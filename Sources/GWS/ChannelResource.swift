import JSON

/// One media channel's agent state (`voice`, `chat`, `email`, …) as GWS reports it in
/// `channels` of the REST snapshot and of `ChannelStateChangeMessageV2`.
public struct ChannelResource: Sendable, Equatable {
    /// The channel name; `nil` in the pre-release samples, where the entry applies to
    /// every channel.
    public var name: String?
    public var userState: UserState?
    /// `dndState`: `true` for `On`, `false` for `Off`, `nil` when absent or unreadable.
    public var dnd: Bool?

    public init(name: String?, userState: UserState?, dnd: Bool?) {
        self.name = name
        self.userState = userState
        self.dnd = dnd
    }

    /// Reads one channel entry; `nil` when the value is not an object.
    public init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        name = object["channel"]?.lenientString
        userState = UserState(json: object["userState"])
        dnd = object["dndState"]?.onOff
    }
}
