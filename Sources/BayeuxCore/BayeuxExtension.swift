import JSON

/// A hook on every message the session sends and receives, like CometD's
/// `ClientSession.Extension` and Faye's extensions.
///
/// Extensions run in the order they were added for outgoing messages and in the same
/// order for incoming ones. Returning `false` drops the message: an outgoing message is
/// not sent, an incoming one is not processed.
public protocol BayeuxExtension: Sendable {
    /// Called with each message about to be sent; may change it.
    mutating func outgoing(_ message: inout BayeuxMessage) -> Bool
    /// Called with each message received, before the session handles it; may change it.
    mutating func incoming(_ message: inout BayeuxMessage) -> Bool
}

extension BayeuxExtension {
    public mutating func outgoing(_ message: inout BayeuxMessage) -> Bool { true }
    public mutating func incoming(_ message: inout BayeuxMessage) -> Bool { true }
}

/// The CometD acknowledgement extension (`ext.ack`).
///
/// It offers acks on the handshake; when the server agrees, every `/meta/connect` carries
/// the id of the last batch received and the server re-sends any batch the client did
/// not acknowledge, so a connected session loses no message even when a long-poll reply
/// is lost on the way. The batch id restarts at every handshake.
public struct AckExtension: BayeuxExtension {
    /// Whether the server accepted acks in the last handshake.
    public private(set) var enabled = false
    /// The last batch id the server sent.
    public private(set) var batch: Int64 = 0

    public init() {}

    public mutating func outgoing(_ message: inout BayeuxMessage) -> Bool {
        switch message.channel {
        case "/meta/handshake":
            enabled = false
            batch = 0
            message.setExt("ack", true)
        case "/meta/connect" where enabled:
            message.setExt("ack", .int(batch))
        default:
            break
        }
        return true
    }

    public mutating func incoming(_ message: inout BayeuxMessage) -> Bool {
        switch message.channel {
        case "/meta/handshake":
            let ack = message.ext?["ack"]
            enabled = message.successful == true && (ack?.boolValue == true || ack?["enabled"]?.boolValue == true)
        case "/meta/connect":
            if enabled, message.successful == true, let id = message.ext?["ack"]?.intValue { batch = id }
        default:
            break
        }
        return true
    }
}
