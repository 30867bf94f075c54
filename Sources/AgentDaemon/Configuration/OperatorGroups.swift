import Glibc
import Text

/// Which operators may act on which agents through the control socket
/// (`control.operator_groups`): Unix groups, each with the agents its members may `set` and
/// list `states` for, or every agent (`*`, which also allows `reload`).
///
/// Without the key every client that may connect to the socket may do everything (the
/// socket's group is the one line of defence). With it, a daemon of many agents tells a
/// team's operators from another's: a request for an agent none of the peer's groups is
/// given is refused (`forbidden`), and logged. Root and the daemon's own user may do
/// everything. Reading (`snapshot`, `subscribe`, `ping`) needs no more than the socket.
public struct OperatorGroups: Sendable, Equatable {
    /// One group and what its members may act on.
    public struct Grant: Sendable, Equatable {
        public var group: String
        public var gid: gid_t
        /// The agents, or `nil` for every agent (`*`).
        public var agents: Set<String>?
    }

    /// The grants, in the configuration's order; `nil` when the key is not set.
    public var grants: [Grant]?

    public init(grants: [Grant]? = nil) {
        self.grants = grants
    }

    /// Reads `control.operator_groups` entries, each `GROUP: AGENT, AGENT` or `GROUP: *`; the
    /// groups must exist. Returns the problem of the first entry that is wrong.
    static func parse(_ entries: [String]?) -> Result<OperatorGroups, Problem> {
        guard let entries else { return .success(OperatorGroups()) }
        var grants: [Grant] = []
        for entry in entries {
            let parts = entry.split(separator: ":", maxSplits: 1)
            let group = parts.first.map { String($0).trimmingWhitespace } ?? ""
            guard parts.count == 2, !group.isEmpty else {
                return .failure(Problem("'\(entry)' is not GROUP: AGENT, AGENT (or GROUP: *)"))
            }
            guard let gid = getgrnam(group)?.pointee.gr_gid else {
                return .failure(Problem("no group \(group) on this system"))
            }
            let names = parts[1].split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
            guard !names.isEmpty else { return .failure(Problem("'\(entry)' names no agent (use * for every agent)")) }
            grants.append(Grant(group: group, gid: gid, agents: names.contains("*") ? nil : Set(names)))
        }
        return .success(OperatorGroups(grants: grants))
    }

    /// What is wrong with an entry.
    struct Problem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Whether a peer with `uid` and `groups` may act on `agent` (`nil`: the daemon as a whole,
    /// `reload`), and when not, why.
    public func refusal(uid: uid_t, isMember: (gid_t) -> Bool, agent: String?) -> String? {
        guard let grants, uid != 0, uid != geteuid() else { return nil }
        let allowed = grants.contains { grant in
            guard isMember(grant.gid) else { return false }
            guard let agents = grant.agents else { return true }
            return agent.map { agents.contains($0) } ?? false
        }
        if allowed { return nil }
        let what = agent.map { "the agent \($0)" } ?? "the daemon as a whole"
        return "uid \(uid) is in no group of control.operator_groups allowed to act on \(what)"
    }
}
