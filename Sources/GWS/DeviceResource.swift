import JSON

/// A voice device as GWS describes it in `GET /api/v2/me?subresources=*` and in
/// `DeviceStateChangeMessage` (the same resource format in both).
public struct DeviceResource: Sendable, Equatable {
    /// The device id; missing in some real payloads.
    public var id: String?
    /// `Active` or `Inactive`.
    public var deviceState: String?
    public var userState: UserState?
    /// `doNotDisturb`: `true` for `On`, `false` for `Off`, `nil` when absent or unreadable.
    public var doNotDisturb: Bool?
    public var phoneNumber: String?
    /// The operations currently allowed on the device (`DoNotDisturbOn`, `ForwardCallsOn`, …);
    /// `nil` when the payload did not list them.
    public var capabilities: [String]?

    public init(
        id: String?, deviceState: String? = "Active", userState: UserState?, doNotDisturb: Bool?,
        phoneNumber: String? = nil, capabilities: [String]? = nil
    ) {
        self.id = id
        self.deviceState = deviceState
        self.userState = userState
        self.doNotDisturb = doNotDisturb
        self.phoneNumber = phoneNumber
        self.capabilities = capabilities
    }

    /// Reads one device resource; `nil` when the value is not an object.
    public init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        id = object["id"]?.lenientString
        deviceState = object["deviceState"]?.lenientString
        userState = UserState(json: object["userState"])
        doNotDisturb = object["doNotDisturb"]?.onOff
        phoneNumber = object["phoneNumber"]?.lenientString ?? object["e164Number"]?.lenientString
        capabilities = object["capabilities"]?.arrayValue != nil ? object["capabilities"]?.stringElements : nil
    }
}
