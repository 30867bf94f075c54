import AgentDaemon
import Foundation

/// `daemon-bench write`: the state-file writer alone, in this process: the documented
/// example document (``EncodeBench/sample``) written `rounds` times over one file in a
/// fresh directory on tmpfs (`/dev/shm`, as `/run` is on a real host). Every state change
/// of every agent ends in one such write; the figure is the writer's system calls and
/// their path lookups, CPU (user and system) per write from `getrusage`.
struct WriteBench {
    var rounds = 200_000

    func run() throws {
        print("write: the documented state document over one file on tmpfs, \(rounds) times")
        let directory = "/dev/shm/daemon-bench-write-\(getpid())"
        guard mkdir(directory, 0o755) == 0 else {
            throw BenchError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = Array(EncodeBench.sample.utf8)
        let writer = AtomicFileWriter(path: directory + "/agent1.json")
        let cpuBefore = Self.processCPUNanoseconds()
        let start = monotonicNanoseconds()
        for _ in 0..<rounds {
            do { try writer.write(bytes) } catch { throw BenchError("write failed: \(error)") }
        }
        let elapsed = monotonicNanoseconds() - start
        let cpu = Self.processCPUNanoseconds() - cpuBefore
        let written = (try? Data(contentsOf: URL(fileURLWithPath: writer.path))).map(Array.init)
        report(
            String(
                format: "%d bytes per write: %.2f µs per write, %.2f µs of CPU", bytes.count,
                Double(elapsed) / Double(rounds) / 1000, Double(cpu) / Double(rounds) / 1000),
            target: written == bytes)
    }

    /// User and system CPU of this process so far.
    static func processCPUNanoseconds() -> UInt64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func nanoseconds(_ time: timeval) -> UInt64 {
            UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1000
        }
        return nanoseconds(usage.ru_utime) + nanoseconds(usage.ru_stime)
    }
}
