import Foundation
import Glibc
import ScriptedHTTPServer

/// Test certificates made with the openssl command: a CA, a server certificate for
/// 127.0.0.1 and a client certificate, all signed by the CA.
struct TestPKI: Sendable {
    let directory: String
    var ca: String { directory + "/ca.pem" }
    var serverCert: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var clientCert: String { directory + "/client.pem" }
    var clientKey: String { directory + "/client.key" }

    /// Makes the certificates without blocking the calling task.
    static func make() async throws -> TestPKI {
        try await offPool { try TestPKI() }
    }

    init() throws {
        directory = NSTemporaryDirectory() + "pki-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: directory + "/san.ext", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=gws-agentd test CA",
            ], in: directory)
        for name in ["server", "client"] {
            try Self.openssl(
                ["req"] + ec + [
                    "-keyout", "\(name).key", "-out", "\(name).csr", "-subj",
                    "/CN=\(name == "server" ? "127.0.0.1" : "agent")",
                ], in: directory)
            try Self.openssl(
                [
                    "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "\(name).pem", "-days", "2",
                ]
                    + (name == "server" ? ["-extfile", "san.ext"] : []), in: directory)
        }
    }

    private static func openssl(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}

/// An HTTPS server (Python's ssl module) on 127.0.0.1 that answers every GET with
/// `{"tls":true}`, optionally requiring a client certificate signed by the test CA.
final class TLSServer: @unchecked Sendable {
    // Immutable after init; the process is only terminated in deinit.
    let process = Process()
    let port: Int

    init(pki: TestPKI, requireClientCertificate: Bool) throws {
        let script = """
            import http.server, ssl, sys
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    body = b'{"tls":true}'
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain('\(pki.serverCert)', '\(pki.serverKey)')
            if \(requireClientCertificate ? "True" : "False"):
                context.verify_mode = ssl.CERT_REQUIRED
                context.load_verify_locations('\(pki.ca)')
            server.socket = context.wrap_socket(server.socket, server_side=True)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown)
        }
        self.port = port
    }

    var url: String { "https://127.0.0.1:\(port)/api/v2/me" }

    /// Starts a server without blocking the calling task.
    static func start(pki: TestPKI, requireClientCertificate: Bool) async throws -> TLSServer {
        try await offPool { try TLSServer(pki: pki, requireClientCertificate: requireClientCertificate) }
    }

    /// Kills the server process.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    deinit { stop() }
}
