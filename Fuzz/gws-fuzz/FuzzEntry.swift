import Glibc

// `gws-fuzz`, the libFuzzer harness. One binary holds every target; the environment
// variable `GWS_FUZZ_TARGET` picks one (see docs/reliability.md): bayeux, notification,
// rest, config, statefile or control. `make fuzz` builds it with -sanitize=fuzzer -DFUZZING;
// otherwise `ReplayMain` replays files through the targets.
#if FUZZING
    import CFuzzerDriver

    /// Hands the process arguments to libFuzzer's driver, which calls ``fuzzOneInput`` for
    /// every input it generates.
    @main
    enum FuzzMain {
        static func main() {
            _ = selectedTarget
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(gws_run_fuzzer(&argc, &argv, fuzzOneInput))
        }
    }

    /// One input: must neither crash nor hang. Exported under libFuzzer's name as well: in a
    /// debug build SwiftPM links libFuzzer's own `main`, which calls it directly.
    @_cdecl("LLVMFuzzerTestOneInput")
    func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        selectedTarget.run(bytes)
        return 0
    }

    /// Read once: the target named by `GWS_FUZZ_TARGET`; an unknown name stops the run.
    let selectedTarget: FuzzTarget = {
        let name = getenv("GWS_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            let message = Array("gws-fuzz: set GWS_FUZZ_TARGET to one of \(names)\n".utf8)
            _ = message.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            exit(2)
        }
        return target
    }()
#endif

/// A fuzz target: takes any bytes, must neither crash nor hang.
enum FuzzTarget: String, CaseIterable {
    case bayeux, notification, rest, config, statefile, control

    func run(_ bytes: [UInt8]) {
        switch self {
        case .bayeux: BayeuxRouterTarget.run(bytes)
        case .notification: NotificationTarget.run(bytes)
        case .rest: RESTReplyTarget.run(bytes)
        case .config: ConfigurationTarget.run(bytes)
        case .statefile: StateFileTarget.run(bytes)
        case .control: ControlProtocolTarget.run(bytes)
        }
    }
}
