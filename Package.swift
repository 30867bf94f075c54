// swift-tools-version: 6.2
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
    ],
    targets: [
        // C libraries, imported through module maps with typed shims for variadic calls.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),

        // SIGTERM, SIGINT and SIGHUP through a self-pipe (libdispatch sources lose signals).
        .target(name: "CDaemonSignals"),
        // One thread as Swift concurrency's global executor, for the daemon process only.
        .target(name: "CSerialExecutor"),

        // A value behind a pthread mutex (Mutex's API; ThreadSanitizer sees it).
        .target(name: "Locking", swiftSettings: strict),
        // Pure protocol core: JSON, Bayeux messages, the session state machine. No I/O.
        .target(name: "BayeuxCore", swiftSettings: strict),
        // The HTTP client abstraction the Bayeux driver and REST calls talk through.
        .target(name: "HTTPTransport", swiftSettings: strict),
        // libcurl implementation of HTTPTransport (multi interface, one owner thread).
        .target(
            name: "CurlTransport", dependencies: ["CCurl", "CSerialExecutor", "HTTPTransport", "Locking"],
            swiftSettings: strict),
        // The driver: runs the state machine against a transport and a clock.
        .target(
            name: "BayeuxClient",
            dependencies: [
                "BayeuxCore", "HTTPTransport", "Locking",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Pure GWS decoding: notifications, the REST snapshot, operation replies.
        .target(name: "GWS", dependencies: ["BayeuxCore"], swiftSettings: strict),
        // Pure agent picture: the cache, the summary, the state-file document.
        .target(name: "AgentState", dependencies: ["GWS", "BayeuxCore"], swiftSettings: strict),
        // The daemon: configuration, REST, the session driver, the state-file publisher,
        // logging, metrics, systemd integration. The executable only parses arguments.
        .target(
            name: "AgentDaemon",
            dependencies: [
                "AgentState", "GWS", "BayeuxClient", "BayeuxCore", "HTTPTransport", "CurlTransport", "Systemd",
                "CDaemonSignals", "Locking", .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // sd_notify and journald through libsystemd.
        .target(name: "Systemd", dependencies: ["CSystemd"], swiftSettings: strict),

        .executableTarget(
            name: "gws-agentd",
            dependencies: [
                "AgentDaemon", "CSerialExecutor", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The GWS 8.5 simulator: a library tests start in-process, and the gws-sim executable.
        .target(
            name: "GWSSimulator", dependencies: ["BayeuxCore", "Locking", "ScriptedHTTPServer"], swiftSettings: strict),
        .executableTarget(
            name: "gws-sim",
            dependencies: ["GWSSimulator", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "bayeux-bench",
            dependencies: ["BayeuxClient", "CurlTransport", "ScriptedHTTPServer"],
            path: "Benchmarks/bayeux-bench",
            swiftSettings: strict
        ),
        // libFuzzer targets. `make fuzz` builds them with -sanitize=fuzzer -DFUZZING and
        // runs libFuzzer's driver; a normal build replays corpus files through them.
        .target(name: "CFuzzerDriver", path: "Fuzz/CFuzzerDriver"),
        .executableTarget(
            name: "gws-fuzz",
            dependencies: ["BayeuxCore", "GWS", "AgentState", "AgentDaemon", "CFuzzerDriver"],
            path: "Fuzz/gws-fuzz",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "daemon-bench",
            dependencies: ["AgentState", "GWSSimulator", "Locking", "ScriptedHTTPServer"],
            path: "Benchmarks/daemon-bench",
            swiftSettings: strict
        ),
        // The memory floor daemon-bench compares the daemon with: one libcurl request in C.
        .executableTarget(
            name: "libcurl-floor", dependencies: ["CCurl", "CSystemd"], path: "Benchmarks/libcurl-floor"),

        // A tiny scripted HTTP/1.1 server on 127.0.0.1 for transport and client tests.
        .target(
            name: "ScriptedHTTPServer",
            dependencies: [
                "Locking",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "BayeuxCoreTests", dependencies: ["BayeuxCore"], swiftSettings: strict),
        .testTarget(name: "GWSTests", dependencies: ["GWS", "BayeuxCore"], swiftSettings: strict),
        .testTarget(name: "AgentStateTests", dependencies: ["AgentState", "GWS", "BayeuxCore"], swiftSettings: strict),
        .testTarget(
            name: "CurlTransportTests",
            dependencies: ["CurlTransport", "Locking", "ScriptedHTTPServer"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BayeuxClientTests",
            dependencies: ["BayeuxClient", "BayeuxCore", "CurlTransport", "Locking", "ScriptedHTTPServer"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: ["BayeuxClient", "CurlTransport", "ScriptedHTTPServer"],
            exclude: ["Faye"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GWSSimulatorTests",
            dependencies: ["GWSSimulator", "BayeuxClient", "CurlTransport", "ScriptedHTTPServer"],
            exclude: ["Faye"],
            swiftSettings: strict
        ),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd"], swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["AgentState", "GWSSimulator", "Locking", "ScriptedHTTPServer", "BayeuxCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AgentDaemonTests",
            dependencies: [
                "AgentDaemon", "AgentState", "GWS", "BayeuxCore", "BayeuxClient", "CurlTransport", "HTTPTransport",
                "GWSSimulator", "Locking", "ScriptedHTTPServer", "Systemd",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict
        ),
    ]
)
