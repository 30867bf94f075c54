import Foundation

/// Reads another process's CPU time and private memory from `/proc`.
struct ProcessSampler {
    let pid: Int32

    /// User plus system CPU time so far, in seconds (all threads; 10 ms resolution).
    func cpuSeconds() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// `Private_Clean + Private_Dirty` from `smaps_rollup`, in bytes.
    func privateBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        var total = 0
        var found = false
        for line in text.split(separator: "\n")
        where line.hasPrefix("Private_Clean:") || line.hasPrefix("Private_Dirty:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kilobytes = Int(parts[1]) else { return nil }
            total += kilobytes * 1024
            found = true
        }
        return found ? total : nil
    }

    /// Resident set size (`VmRSS`), in bytes.
    func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        return parts.count >= 2 ? Int(parts[1]).map { $0 * 1024 } : nil
    }
}
