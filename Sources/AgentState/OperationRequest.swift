import GWS

/// The agent-state change `gws-agentd set` asks for, and how to recognise it in the
/// agent's picture once GWS has applied it.
public struct OperationRequest: Sendable, Equatable {
    /// What the picture must show for the change to count as confirmed.
    public enum Expectation: Sendable, Equatable {
        /// Every device and channel in scope has this state (and work mode, when given;
        /// plain `NotReady` means no work mode).
        case state(String, workMode: String?)
        /// Every device and channel in scope has DND on (true) or off.
        case dnd(Bool)
        /// A custom operation: any notification after the request confirms it.
        case anyNotification
    }

    public var operation: AgentOperation
    public var expectation: Expectation

    public init(operation: AgentOperation, expectation: Expectation) {
        self.operation = operation
        self.expectation = expectation
    }

    /// The request for a named operation; custom names expect any notification.
    public static func named(_ name: String, scope: AgentOperation.Scope) -> OperationRequest {
        let expectation: Expectation
        switch name {
        case "Ready": expectation = .state("Ready", workMode: nil)
        case "NotReady": expectation = .state("NotReady", workMode: nil)
        case "AfterCallWork": expectation = .state("NotReady", workMode: "AfterCallWork")
        case "AuxWork": expectation = .state("NotReady", workMode: "AuxWork")
        case "Offline": expectation = .state("LoggedOut", workMode: nil)
        case "DoNotDisturbOn": expectation = .dnd(true)
        case "DoNotDisturbOff": expectation = .dnd(false)
        default: expectation = .anyNotification
        }
        return OperationRequest(operation: AgentOperation(name: name, scope: scope), expectation: expectation)
    }

    /// Whether `agent` shows the change for the operation's scope.
    public func isConfirmed(by agent: StateDocument.Agent) -> Bool {
        let entries: [(state: String?, workMode: String?, dnd: Bool?)]
        switch operation.scope {
        case .all:
            entries =
                agent.devices.map { ($0.state, $0.workMode, $0.dnd) }
                + agent.channels.map { ($0.state, $0.workMode, $0.dnd) }
        case .channel(let name):
            entries = agent.channels.filter { $0.name == name }.map { ($0.state, $0.workMode, $0.dnd) }
        case .device(let id):
            entries = agent.devices.filter { $0.id?.lowercased() == id.lowercased() }.map {
                ($0.state, $0.workMode, $0.dnd)
            }
        }
        switch expectation {
        case .anyNotification:
            return true
        case .state(let state, let workMode):
            return !entries.isEmpty && entries.allSatisfy { $0.state == state && $0.workMode == workMode }
        case .dnd(let on):
            return !entries.isEmpty && entries.allSatisfy { $0.dnd == on }
        }
    }
}
