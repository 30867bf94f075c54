/// Picks the agent a command is about among those a daemon follows or a configuration
/// names: the one named, or the only one. The daemon (for requests on its control socket)
/// and the operator commands (for a login of their own) refuse with the same words.
public enum AgentChoice {
    /// Who holds the list of agents, for the refusal's words.
    public enum Holder: Sendable {
        /// The running daemon: the agents it follows.
        case daemon
        /// A configuration file: the agents it names.
        case configuration

        var subject: String { self == .daemon ? "this daemon" : "the configuration" }
        var verb: String { self == .daemon ? "follows" : "names" }
    }

    /// How many names a refusal lists before it says how many more there are.
    static let listed = 20

    /// `name` when `usernames` has it; the only agent when `name` is nil; else the refusal.
    public static func choose(_ name: String?, among usernames: [String], by holder: Holder) -> Result<String, Refusal>
    {
        if let name {
            guard usernames.contains(name) else {
                return .failure(
                    Refusal("\(holder.subject) \(holder.verb) no agent \(name); it \(holder.verb) \(list(usernames))"))
            }
            return .success(name)
        }
        guard usernames.count == 1, let only = usernames.first else {
            return .failure(
                Refusal(
                    "\(holder.subject) \(holder.verb) \(usernames.count) agents (\(list(usernames))): name one with --agent"
                ))
        }
        return .success(only)
    }

    /// `a, b, c` (and how many more past ``listed``), or `no agent`.
    static func list(_ usernames: [String]) -> String {
        guard !usernames.isEmpty else { return "no agent" }
        let shown = usernames.prefix(listed).joined(separator: ", ")
        return usernames.count > listed ? shown + " and \(usernames.count - listed) more" : shown
    }

    /// Why no agent was chosen.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}
