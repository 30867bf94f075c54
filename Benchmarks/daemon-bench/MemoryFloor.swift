import Foundation

/// A process's private memory (`Private_Clean + Private_Dirty` of `/proc/PID/smaps`),
/// split by what it is mapped from.
struct PrivateMemory {
    /// The program's own file: its code and data pages.
    var executable = 0
    /// Other files: the shared libraries (libcurl and what it loads, libc, libsystemd).
    var libraries = 0
    /// Anonymous memory: heap, thread stacks.
    var anonymous = 0

    var total: Int { executable + libraries + anonymous }

    /// "27.1 MB (program 18.0, libraries 6.4, anonymous 2.7)".
    var summary: String {
        String(
            format: "%.2f MB (program %.2f, libraries %.2f, anonymous %.2f)", Double(total) / 1e6,
            Double(executable) / 1e6, Double(libraries) / 1e6, Double(anonymous) / 1e6)
    }
}

extension ProcessSampler {
    /// The private memory of each mapping in `/proc/PID/smaps`, summed by kind.
    func privateMemory() -> PrivateMemory? {
        guard let text = Self.readWhole("/proc/\(pid)/smaps"),
            let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        else { return nil }
        var memory = PrivateMemory()
        var path = ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-") && !first.hasSuffix(":") {
                // A mapping header: range, permissions, offset, device, inode, [path].
                path = fields.count >= 6 ? fields[5...].joined(separator: " ") : ""
                continue
            }
            guard first == "Private_Clean:" || first == "Private_Dirty:", fields.count >= 2,
                let kilobytes = Int(fields[1])
            else { continue }
            let bytes = kilobytes * 1024
            if path == executable {
                memory.executable += bytes
            } else if path.hasPrefix("/") {
                memory.libraries += bytes
            } else {
                memory.anonymous += bytes
            }
        }
        return memory
    }

    /// The whole of a `/proc` file, read to its end (they report a size of 0, and a long
    /// one such as `smaps` comes in several reads).
    static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 { return nil }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The memory floor: `libcurl-floor` (one libcurl request in C, then asleep) run against
/// the same simulator; its private memory once idle.
func measureLibcurlFloor(
    binary: String, url: String, credentials: String, directory: String
) async throws -> PrivateMemory {
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw BenchError(
            "no libcurl-floor at \(binary); build it with `swift build -c release --product libcurl-floor`")
    }
    let outputPath = directory + "/floor.out"
    _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
    let floor = Process()
    floor.executableURL = URL(fileURLWithPath: binary)
    floor.arguments = [url + "/api/v2/me", credentials]
    floor.environment = ["PATH": "/usr/bin:/bin"]
    floor.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
    floor.standardError = floor.standardOutput
    try floor.run()
    defer {
        if floor.isRunning { kill(floor.processIdentifier, SIGKILL) }
        floor.waitUntilExit()
    }
    let deadline = ContinuousClock.now + .seconds(10)
    while floor.isRunning, ContinuousClock.now < deadline {
        if (try? String(contentsOfFile: outputPath, encoding: .utf8))?.contains("ready") == true { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    guard floor.isRunning else {
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        throw BenchError("libcurl-floor failed: \(output)")
    }
    // Settled, as the daemon is after its warm-up.
    try await Task.sleep(for: .seconds(2))
    guard let memory = ProcessSampler(pid: floor.processIdentifier).privateMemory() else {
        throw BenchError("cannot read libcurl-floor's memory")
    }
    return memory
}
