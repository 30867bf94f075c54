/// A channel name or a wildcard pattern, matched the way Bayeux servers match them.
///
/// Wildcards are only allowed as the last segment: `/a/*` matches exactly one more
/// segment (`/a/b`, not `/a` or `/a/b/c`), `/a/**` matches one or more (`/a/b`,
/// `/a/b/c`). Meta channels are never matched by a wildcard, so a `/**` subscription
/// does not see `/meta/...` traffic.
public struct ChannelPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let name: String
    private let prefix: [Substring]
    private let kind: Kind

    private enum Kind: Hashable { case exact, oneSegment, anyDepth }

    /// Parses `name`; returns `nil` when it is not an absolute channel name or has a
    /// wildcard anywhere but the last segment.
    public init?(_ name: String) {
        guard name.hasPrefix("/"), name.count > 1, !name.hasSuffix("/") else { return nil }
        var segments = name.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.contains(where: \.isEmpty) else { return nil }
        let last = segments.removeLast()
        guard !segments.contains(where: { $0.contains("*") }) else { return nil }
        switch last {
        case "*": kind = .oneSegment
        case "**": kind = .anyDepth
        default:
            guard !last.contains("*") else { return nil }
            segments.append(last)
            kind = .exact
        }
        self.name = name
        self.prefix = segments
    }

    /// Whether the pattern contains a wildcard.
    public var isWildcard: Bool { kind != .exact }

    /// Whether a message on `channel` matches this pattern.
    public func matches(_ channel: String) -> Bool {
        if kind == .exact { return channel == name }
        if channel.hasPrefix("/meta/") { return false }
        let segments = channel.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count > prefix.count, segments.starts(with: prefix) else { return false }
        switch kind {
        case .oneSegment: return segments.count == prefix.count + 1
        case .anyDepth, .exact: return true
        }
    }

    public var description: String { name }
}
