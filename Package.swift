// swift-tools-version: 6.3
//
// gws-agentd: a Genesys Web Services agent-state daemon built on a long-polling
// Bayeux (CometD) client. See docs/architecture.md for the module split.

import PackageDescription

/// Settings every first-party Swift target shares: Swift 6 mode (complete strict
/// concurrency) and every warning treated as an error.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "gws-agentd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gws-agentd", targets: ["gws-agentd"]),
        .executable(name: "gws-sim", targets: ["gws-sim"]),
        .library(name: "BayeuxClient", targets: ["BayeuxClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["YAML"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the graph through swift-configuration's YAML trait; used directly only to
        // list the keys of a configuration file, which swift-configuration cannot enumerate.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Already in the graph through swift-configuration, whose file provider takes its
        // FilePath; named here because the daemon imports it for that one type.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C libraries, imported through module maps with typed shims for variadic calls.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // SIGTERM, SIGINT and SIGHUP through a self-pipe (libdispatch sources lose signals).
        .target(name: "CDaemonSignals"),
        .target(name: "CFileSystem"),
        // One thread as Swift concurrency's global executor, for the daemon process only.
        .target(name: "CSerialExecutor"),

        // Foundations with no I/O. docs/architecture.md has the module graph that
        // scripts/check-module-graph.py enforces.
        // The version, from packaging/changelog (the one place it is written).
        .plugin(name: "BuildVersionPlugin", capability: .buildTool()),
        .target(name: "BuildVersion", swiftSettings: strict, plugins: ["BuildVersionPlugin"]),
        // Clocks whose time is injected: real time in the programs, manual time in tests.
        .target(name: "Timekeeping", swiftSettings: strict),
        // A value behind a pthread mutex (Mutex's API; ThreadSanitizer sees it).
        .target(name: "Locking", swiftSettings: strict),
        // Which executor a tree of tasks prefers, kept for the unstructured tasks it starts.
        .target(name: "Placement", swiftSettings: strict),
        // JSON values, a parser and a writer: the project's JSON.
        .target(name: "JSON", swiftSettings: strict),
        // Text helpers: trimming, and server text made safe for logs and terminals.
        .target(name: "Text", swiftSettings: strict),
        // The pure protocol core: Bayeux messages, advice, backoff, the session state machine.
        .target(name: "BayeuxCore", dependencies: ["JSON"], swiftSettings: strict),
        // Pure GWS decoding: notifications, the REST snapshot, operation replies.
        .target(name: "GWS", dependencies: ["JSON", "Text"], swiftSettings: strict),
        // The pure agent picture: the cache, the summary, the session coordinator, the state document.
        .target(name: "AgentState", dependencies: ["BayeuxCore", "GWS", "JSON", "Text"], swiftSettings: strict),

        // I/O, each kind behind its own module.
        // The HTTP client abstraction the Bayeux driver and REST calls talk through.
        .target(name: "HTTPTransport", dependencies: ["Text"], swiftSettings: strict),
        // libcurl implementation of HTTPTransport (multi interface, one owner thread).
        .target(
            name: "CurlTransport", dependencies: ["CCurl", "CSerialExecutor", "HTTPTransport", "Locking", "Text"],
            swiftSettings: strict),
        // The driver: runs the state machine against a transport and a clock.
        .target(
            name: "BayeuxClient",
            dependencies: [
                "BayeuxCore", "HTTPTransport", "JSON", "Locking", "Placement", "Text",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // sd_notify and journald through libsystemd.
        .target(name: "Systemd", dependencies: ["CSystemd"], swiftSettings: strict),
        // inotify: how the operator commands and the benchmark see the state file change.
        .target(name: "FileWatch", swiftSettings: strict),
        // The control socket: JSON lines over AF_UNIX, the server the daemon runs and the
        // client the operator commands use (SO_PEERCRED through a small C shim).
        .target(name: "CUnixSocket"),
        .target(
            name: "ControlSocket", dependencies: ["CUnixSocket", "JSON", "Locking"], swiftSettings: strict),

        // The daemon: exactly what `gws-agentd run` executes (configuration, REST, the session
        // driver, the state-file publisher, logging, metrics, systemd integration).
        .target(
            name: "AgentDaemon",
            dependencies: [
                "AgentState", "BayeuxClient", "BayeuxCore", "BuildVersion", "CDaemonSignals", "CFileSystem",
                "ControlSocket",
                "CSerialExecutor", "CurlTransport", "GWS", "HTTPTransport", "JSON", "Locking", "Placement", "Systemd",
                "Text", "Timekeeping",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // The operator commands' work and presentation: set, states, status, check-config.
        .target(
            name: "AgentOperator",
            dependencies: [
                "AgentDaemon", "AgentState", "BayeuxClient", "BayeuxCore", "BuildVersion", "ControlSocket",
                "CurlTransport", "FileWatch", "GWS", "HTTPTransport", "JSON", "Locking", "Systemd", "Text",
                "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The executable: argument parsing, the logging bootstrap, the executor.
        .executableTarget(
            name: "gws-agentd",
            dependencies: [
                "AgentDaemon", "AgentOperator", "AgentState", "BuildVersion", "CSerialExecutor", "GWS", "Text",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // The GWS 8.5 simulator: a library tests start in-process, and the gws-sim executable.
        .target(
            name: "ScriptedHTTPServer",
            dependencies: [
                "Locking", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "GWSSimulator", dependencies: ["BayeuxCore", "JSON", "Locking", "ScriptedHTTPServer", "Timekeeping"],
            swiftSettings: strict),
        .executableTarget(
            name: "gws-sim",
            dependencies: [
                "BuildVersion", "GWSSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // Benchmarks (docs/performance.md) and the libFuzzer harness (docs/reliability.md).
        .executableTarget(
            name: "bayeux-bench",
            dependencies: [
                "BayeuxClient", "BayeuxCore", "CurlTransport", "JSON", "ScriptedHTTPServer",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/bayeux-bench", swiftSettings: strict),
        .executableTarget(
            name: "daemon-bench",
            dependencies: [
                "AgentDaemon", "AgentOperator", "AgentState", "FileWatch", "GWSSimulator", "Locking",
                "ScriptedHTTPServer", "Systemd",
            ],
            path: "Benchmarks/daemon-bench", swiftSettings: strict),
        // The memory floor daemon-bench compares the daemon with: one libcurl request in C.
        .executableTarget(
            name: "libcurl-floor", dependencies: ["CCurl", "CSystemd"], path: "Benchmarks/libcurl-floor"),
        // `make fuzz` builds gws-fuzz with -sanitize=fuzzer -DFUZZING and runs libFuzzer's
        // driver; a normal build replays corpus files through it.
        .target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
        .executableTarget(
            name: "gws-fuzz",
            dependencies: [
                "AgentDaemon", "AgentOperator", "AgentState", "BayeuxCore", "CFuzzerDriver", "ControlSocket", "GWS",
                "JSON",
            ],
            path: "Fuzz/gws-fuzz", swiftSettings: strict),

        // What the tests share: manual time, the one waiting helper, gws-sim's engine in memory.
        .target(
            name: "TestSupport",
            dependencies: ["GWSSimulator", "HTTPTransport", "Locking", "ScriptedHTTPServer", "Timekeeping"],
            path: "Tests/TestSupport", swiftSettings: strict),

        .testTarget(name: "LockingTests", dependencies: ["Locking"], swiftSettings: strict),
        .testTarget(name: "PlacementTests", dependencies: ["Placement"], swiftSettings: strict),
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
        .testTarget(name: "TimekeepingTests", dependencies: ["TestSupport", "Timekeeping"], swiftSettings: strict),
        .testTarget(name: "BuildVersionTests", dependencies: ["BuildVersion"], swiftSettings: strict),
        .testTarget(name: "HTTPTransportTests", dependencies: ["HTTPTransport"], swiftSettings: strict),
        .testTarget(name: "FileWatchTests", dependencies: ["FileWatch"], swiftSettings: strict),
        .testTarget(
            name: "ControlSocketTests", dependencies: ["ControlSocket", "JSON", "Locking", "TestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ScriptedHTTPServerTests", dependencies: ["CurlTransport", "HTTPTransport", "ScriptedHTTPServer"],
            swiftSettings: strict),
        .testTarget(
            name: "AgentOperatorTests", dependencies: ["AgentDaemon", "AgentOperator", "AgentState"],
            swiftSettings: strict),
        .testTarget(name: "BayeuxCoreTests", dependencies: ["BayeuxCore", "JSON"], swiftSettings: strict),
        .testTarget(name: "GWSTests", dependencies: ["GWS", "JSON"], swiftSettings: strict),
        .testTarget(
            name: "AgentStateTests", dependencies: ["AgentState", "BayeuxCore", "GWS", "JSON"], swiftSettings: strict),
        .testTarget(
            name: "CurlTransportTests",
            dependencies: [
                "CSerialExecutor", "CurlTransport", "HTTPTransport", "Locking", "ScriptedHTTPServer", "TestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "BayeuxClientTests",
            dependencies: [
                "BayeuxClient", "BayeuxCore", "CurlTransport", "GWSSimulator", "HTTPTransport", "JSON", "Locking",
                "ScriptedHTTPServer", "TestSupport", "Timekeeping", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "BayeuxClient", "BayeuxCore", "CurlTransport", "HTTPTransport", "JSON", "ScriptedHTTPServer",
                "TestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Faye"], swiftSettings: strict),
        .testTarget(
            name: "GWSSimulatorTests",
            dependencies: [
                "BayeuxClient", "BayeuxCore", "CurlTransport", "GWSSimulator", "HTTPTransport", "JSON", "Locking",
                "ScriptedHTTPServer", "TestSupport", "Timekeeping", .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Faye"], swiftSettings: strict),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"], swiftSettings: strict),
        .testTarget(name: "TextTests", dependencies: ["Text"], swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "AgentState", "BayeuxCore", "BuildVersion", "FileWatch", "GWSSimulator", "JSON", "Locking",
                "ScriptedHTTPServer", "TestSupport", "Timekeeping",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "AgentDaemonTests",
            dependencies: [
                "AgentDaemon", "AgentOperator", "CSerialExecutor", "AgentState", "BayeuxClient", "BayeuxCore",
                "CurlTransport", "GWS",
                "GWSSimulator", "HTTPTransport", "JSON", "Locking", "ScriptedHTTPServer", "Systemd", "TestSupport",
                "Timekeeping", .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"], swiftSettings: strict),
        // The fleet in-process on manual time, one agent and hundreds.
        .testTarget(
            name: "FleetTests",
            dependencies: [
                "AgentDaemon", "AgentState", "BayeuxCore", "CurlTransport", "GWS", "GWSSimulator", "HTTPTransport",
                "JSON", "Locking", "Systemd", "TestSupport", "Timekeeping",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
    ]
)
