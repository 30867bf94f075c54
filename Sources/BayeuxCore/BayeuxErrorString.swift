/// A Bayeux `error` string parsed per the spec's grammar `code:args:message`.
///
/// The code is kept for logs and counters only. The same condition has different codes
/// on different servers (unknown session: CometD 402, Faye 401, Salesforce 403), so the
/// session never decides anything from it.
public struct BayeuxErrorString: Sendable, Equatable, CustomStringConvertible {
    /// The three-digit code, when the string starts with one.
    public var code: Int?
    /// The comma-separated arguments.
    public var arguments: [String]
    /// The human-readable part.
    public var message: String

    /// Parses `raw`; strings that do not follow the grammar become a message with no code.
    public init(_ raw: String) {
        let parts = raw.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 3, let code = Int(parts[0]) {
            self.code = code
            self.arguments = parts[1].isEmpty ? [] : parts[1].split(separator: ",").map(String.init)
            self.message = String(parts[2])
        } else {
            self.code = nil
            self.arguments = []
            self.message = raw
        }
    }

    public var description: String {
        if let code { return "\(code) \(message)" }
        return message
    }
}
