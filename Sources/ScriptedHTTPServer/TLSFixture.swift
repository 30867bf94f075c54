import Foundation

/// Certificates with the faults a TLS client must name, and TLS servers that present
/// them, made by `Tests/TLSFixture/tls_fixture.py` (Python's ssl and cryptography), for
/// tests only. Every server listens on 127.0.0.1 on a free port.
public struct TLSCertificates: Sendable {
    /// The directory holding `ca.pem` and `CASE.pem`/`CASE.key` per case.
    public let directory: String

    /// The certificate cases the fixture makes.
    public enum Case: String, Sendable, CaseIterable {
        /// Signed by the test CA, for 127.0.0.1, valid now.
        case good
        /// As `good`, but its validity ended two days ago.
        case expired
        /// As `good`, but its validity starts in five days.
        case future
        /// Signed by the test CA for `gws.example.test` and `gws2.example.test` only.
        case otherName = "othername"
        /// For 127.0.0.1, signed by itself.
        case selfSigned = "selfsigned"
    }

    /// The test CA's certificate (PEM).
    public var ca: String { directory + "/ca.pem" }
    /// A client certificate the test CA signed, and its key, for mutual TLS.
    public var clientCertificate: String { directory + "/client.pem" }
    public var clientKey: String { directory + "/client.key" }

    /// Makes a fresh set in a new temporary directory, off the cooperative pool.
    public static func make() async throws -> TLSCertificates {
        let directory = NSTemporaryDirectory() + "tls-fixture-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await offPool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [TLSServerProcess.script, "pki", directory]
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw TLSFixtureError("tls_fixture.py pki failed") }
        }
        return TLSCertificates(directory: directory)
    }

    /// Removes the directory.
    public func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A TLS server presenting one of the ``TLSCertificates`` cases: it forwards every
/// connection to a plain-HTTP server on 127.0.0.1 (gws-sim, say), or answers every request
/// with `200 {"tls":true}`.
///
/// Ownership: `process` is started in `init` and only signalled afterwards (`stop`,
/// `deinit`); `port` is immutable.
public final class TLSServerProcess: @unchecked Sendable {
    private let process = Process()
    /// The port it listens on.
    public let port: Int

    /// The fixture script, found from this file's place in the repository.
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/TLSFixture/tls_fixture.py").path
    }

    private init(
        certificates: TLSCertificates, case fixture: TLSCertificates.Case, forwardingTo target: Int?,
        requireClientCertificate: Bool
    ) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments =
            [
                Self.script, "serve", "\(certificates.directory)/\(fixture.rawValue).pem",
                "\(certificates.directory)/\(fixture.rawValue).key",
            ] + (target.map { [String($0)] } ?? []) + (requireClientCertificate ? [certificates.ca] : [])
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(process.processIdentifier, SIGKILL)
            throw TLSFixtureError("tls_fixture.py serve printed no port")
        }
        self.port = port
    }

    /// Starts a server for `fixture`, forwarding to `target` when given, off the cooperative
    /// pool; with `requireClientCertificate` (and a `target`), only clients presenting a
    /// certificate the test CA signed get through.
    public static func start(
        _ certificates: TLSCertificates, _ fixture: TLSCertificates.Case, forwardingTo target: Int? = nil,
        requireClientCertificate: Bool = false
    ) async throws -> TLSServerProcess {
        try await offPool {
            try TLSServerProcess(
                certificates: certificates, case: fixture, forwardingTo: target,
                requireClientCertificate: requireClientCertificate)
        }
    }

    /// `https://127.0.0.1:PORT`.
    public var baseURL: String { "https://127.0.0.1:\(port)" }

    /// Kills the server.
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}

/// A fixture that could not be set up.
public struct TLSFixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
