import Glibc

/// Who is on the other end of a connection (`SO_PEERCRED`, `SO_PEERGROUPS`).
public struct PeerCredentials: Sendable, Equatable {
    public var pid: pid_t
    public var uid: uid_t
    public var gid: gid_t
    /// The supplementary groups (empty when the kernel cannot say).
    public var groups: [gid_t]

    public init(pid: pid_t, uid: uid_t, gid: gid_t, groups: [gid_t] = []) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
    }

    /// Whether the peer is in group `gid` (as its primary or a supplementary group).
    public func isMember(of gid: gid_t) -> Bool { self.gid == gid || groups.contains(gid) }
}
