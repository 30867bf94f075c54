import CSerialExecutor
import Glibc

/// The process environment as a dictionary, read from `environ` (no Foundation needed).
public enum ProcessEnvironment {
    public static var current: [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }

    /// How many CPUs this process may run on (its affinity mask, which systemd's
    /// `CPUAffinity=` and `AllowedCPUs=` narrow); 1 when it cannot be read.
    public static var allowedCPUs: Int { Int(gws_allowed_cpus()) }
}
