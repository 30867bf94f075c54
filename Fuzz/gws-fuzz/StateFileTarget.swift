import AgentDaemon
import AgentOperator
import AgentState
import Foundation

/// The state-file reader `gws-agentd status` uses: the document decoder on the bytes,
/// and the full inspection (mtime, pid, schema) on a file holding them.
enum StateFileTarget {
    static let path = NSTemporaryDirectory() + "gws-fuzz-state-\(getpid()).json"

    static func run(_ bytes: [UInt8]) {
        if let document = try? StateDocument.decode(bytes) {
            // A document that reads must write back and read again unchanged.
            guard let again = try? StateDocument.decode(document.encoded()), again == document else {
                fatalError("a decoded state document did not survive encoding")
            }
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        _ = StateFileInspection.inspect(path)
    }
}
