import AgentDaemon
import Foundation

/// The configuration loader: the bytes are the YAML file (written to a private temporary
/// file), loaded with a password in the environment. Any input must give a configuration
/// or a `ConfigurationError`, never a crash.
enum ConfigurationTarget {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "gws-fuzz-config-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func run(_ bytes: [UInt8]) {
        let path = directory + "/config.yaml"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        let loader = ConfigurationLoader(environment: [
            "GWS_AGENTD_SERVER_PASSWORD": "fuzz-secret", "RUNTIME_DIRECTORY": directory,
        ])
        let done = DispatchSemaphore(value: 0)
        Task {
            if let configuration = try? await loader.load(explicitPath: path),
                "\(configuration)".contains("fuzz-secret")
            {
                fatalError("the password appeared in a configuration's description")
            }
            done.signal()
        }
        done.wait()
    }
}
