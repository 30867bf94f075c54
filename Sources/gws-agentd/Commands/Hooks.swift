import AgentOperator
import ArgumentParser
import Glibc

extension GWSAgentd {
    /// `gws-agentd hooks`: runs the executables of a directory once per change of an agent.
    struct Hooks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the executables in a directory once per change of each agent (gws-agentd-hooks.service).",
            discussion: """
                Follows the daemon's state files (as a reader: it cannot act on agents) and, for each \
                change of an agent's state, work mode, reason, DND, sync or calls, runs every \
                executable of --directory in name order with the change in GWS_HOOK_* environment \
                variables and the state document on stdin. Changes of one agent run in order; a hook \
                past --timeout-s is killed and logged; a change that finds its worker's queue full is \
                dropped and logged. See docs/integration.md.
                """)

        @Option(help: "The hooks directory.")
        var directory = "/etc/gws-agentd/hooks.d"

        @Option(help: "The directory of the daemon's state files.")
        var stateDirectory = "/run/gws-agentd"

        @Option(name: .customLong("timeout-s"), help: "How long one hook may run, in seconds.")
        var timeout: Double = 10

        @Option(help: "Hooks run for this many agents at once (an agent's changes always in order).")
        var workers = 4

        @Option(help: "Changes waiting per worker; past this a change is dropped and logged.")
        var queue = 1000

        func validate() throws {
            guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout-s must be in (0, 3600]") }
            guard (1...64).contains(workers) else { throw ValidationError("--workers must be between 1 and 64") }
            guard (1...1_000_000).contains(queue) else {
                throw ValidationError("--queue must be between 1 and 1000000")
            }
        }

        func run() throws {
            let dispatcher = HookDispatcher(
                settings: HookDispatcher.Settings(
                    stateDirectory: stateDirectory, hooksDirectory: directory,
                    timeout: .milliseconds(Int64(timeout * 1000)), workers: workers, queueLimit: queue),
                log: { Console.standard.error($0) })
            let failure = dispatcher.run()
            Console.standard.error(
                "gws-agentd hooks: cannot watch \(stateDirectory): \(String(cString: strerror(failure ?? EIO)))")
            throw ExitCode(69)
        }
    }
}
