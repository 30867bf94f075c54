import AgentDaemon
import AgentOperator
import AgentState
import ArgumentParser
import GWS

extension GWSAgentd {
    /// `gws-agentd set`: the GWS "Set Agent States" operations.
    struct SetCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change the agent's state or Do-Not-Disturb in GWS.",
            discussion: """
                Gets a session cookie and CSRF token (GET /api/v2/me), then POSTs the operation to \
                /api/v2/me (all channels), /api/v2/me/channels/NAME or /api/v2/me/devices/ID. \
                When a daemon answers on its control socket (--socket, --instance, beside \
                --state-file, or the default runtime directory), the command goes through it: the \
                daemon's own GWS session, no password needed. Otherwise it logs in itself with the \
                configuration. GWS answering 200 only means "accepted": with --wait the command also \
                waits for the notification that confirms the change (the daemon's own notifications, \
                or a short CometD session of its own). --verbose says which way it went.

                Exit status: 0 accepted (and confirmed, with --wait), 1 rejected by the server, \
                64 usage error, 69 server or daemon unreachable, 75 accepted but not confirmed within \
                --timeout, 77 credentials refused or not allowed to use the socket, \
                64 the daemon or the configuration follows no such agent, 78 configuration error.
                """)

        /// The standard operations.
        enum Action: String, ExpressibleByArgument, CaseIterable {
            case ready
            case notReady = "not-ready"
            case dndOn = "dnd-on"
            case dndOff = "dnd-off"
        }

        /// The voice work modes of `not-ready`.
        enum WorkMode: String, ExpressibleByArgument, CaseIterable {
            case afterCallWork = "after-call-work"
            case auxWork = "aux-work"
        }

        @Argument(help: ArgumentHelp("The operation.", valueName: "ready|not-ready|dnd-on|dnd-off"))
        var action: Action?

        @Option(
            help: ArgumentHelp("A custom agent-state operation instead (see `gws-agentd states`).", valueName: "name"))
        var operation: String?

        @Option(help: ArgumentHelp("Only this media channel (voice, chat, email, …).", valueName: "name"))
        var channel: String?

        @Option(help: ArgumentHelp("Only this voice device.", valueName: "id"))
        var device: String?

        @Option(
            help: ArgumentHelp("With not-ready: the voice work mode (AfterCallWork or AuxWork).", valueName: "mode"))
        var workMode: WorkMode?

        @Flag(help: "Wait for the notification that confirms the change, then print the resulting state.")
        var wait = false

        @Option(help: ArgumentHelp("Seconds to wait with --wait.", valueName: "seconds"))
        var timeout: Double = 10

        @OptionGroup var daemon: DaemonOptions

        func validate() throws {
            switch (action, operation) {
            case (nil, nil):
                throw ValidationError("Give an operation (ready, not-ready, dnd-on, dnd-off) or --operation NAME.")
            case (.some, .some): throw ValidationError("Give either an operation or --operation, not both.")
            default: break
            }
            if channel != nil && device != nil {
                throw ValidationError("--channel and --device cannot be used together.")
            }
            if let operation, operation.isEmpty || operation.contains(where: { $0 == "\"" || $0.isNewline }) {
                throw ValidationError("--operation needs an operation name such as OutToLunch.")
            }
            if channel?.isEmpty == true || device?.isEmpty == true {
                throw ValidationError("--channel and --device need a value.")
            }
            if workMode != nil {
                guard action == .notReady else { throw ValidationError("--work-mode goes with not-ready.") }
                if let channel, channel != "voice" {
                    throw ValidationError("--work-mode applies to the voice channel only.")
                }
            }
            guard timeout > 0, timeout <= 300 else {
                throw ValidationError("--timeout must be between 0 and 300 seconds.")
            }
            try daemon.validate()
        }

        func run() async throws {
            let request = OperationRequest.named(operationName, scope: scope)
            let waitFor: Duration? = wait ? .milliseconds(Int64(timeout * 1000)) : nil
            let status = await OperatorCommands.set(
                request, target: daemon.target, wait: waitFor, environment: ProcessEnvironment.current,
                console: .standard)
            if status != .success { throw ExitCode(status.rawValue) }
        }

        var operationName: String {
            if let operation { return operation }
            switch action {
            case .ready?: return "Ready"
            case .dndOn?: return "DoNotDisturbOn"
            case .dndOff?: return "DoNotDisturbOff"
            case .notReady?, nil:
                switch workMode {
                case .afterCallWork?: return "AfterCallWork"
                case .auxWork?: return "AuxWork"
                case nil: return "NotReady"
                }
            }
        }

        var scope: AgentOperation.Scope {
            if let device { return .device(device) }
            if let channel { return .channel(channel) }
            return workMode != nil ? .channel("voice") : .all
        }
    }
}
