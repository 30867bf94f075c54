// bayeux-bench: throughput and CPU cost of the Bayeux client on GWS-sized notifications.
//
//   bayeux-bench [--messages N] [--batch B]
//
// The parent process re-runs itself with `--serve` as a local CometD-like server on
// 127.0.0.1, so the CPU it measures (getrusage of its own process) is the client's
// alone: libcurl receiving, JSON parsing, routing and delivery to the event stream.

import BayeuxClient
import BayeuxCore
import CurlTransport
import Foundation
import JSON
import Logging
import ScriptedHTTPServer

/// A `DeviceStateChangeMessage` of about 400 bytes, as GWS publishes it.
func notification(seq: Int) -> String {
    #"{"channel":"/v2/me/devices","data":{"messageType":"DeviceStateChangeMessage","seq":\#(seq),"devices":[{"id":"efe1ab32-53f9-43ce-b65e-5768c61f7d4a","deviceState":"Active","userState":{"id":"900D55CC-2BB0-431F-8BF9-D3525B383BE6","displayName":"Not Ready","state":"NotReady"},"phoneNumber":"5005","e164Number":"5005","telephonyNetwork":"Private","doNotDisturb":"Off","capabilities":["DoNotDisturbOn","ForwardCallsOn","ListenIn","Coach","BargeIn"]}]}}"#
}

/// Serves handshake, subscribe and connect; each connect takes up to `batch` queued notifications.
actor BenchServer {
    var next = 0
    let total: Int
    let batch: Int

    init(total: Int, batch: Int) {
        self.total = total
        self.batch = batch
    }

    func handle(_ request: RecordedRequest) async -> ScriptedResponse {
        guard let messages = try? BayeuxCodec.decode(request.body) else {
            return .respond(status: 400, headers: [], body: [])
        }
        var parts: [String] = []
        for message in messages {
            let id = message.id ?? ""
            switch message.channel {
            case "/meta/handshake":
                parts.append(
                    #"{"channel":"/meta/handshake","id":"\#(id)","successful":true,"clientId":"bench","version":"1.0","supportedConnectionTypes":["long-polling"],"advice":{"reconnect":"retry","interval":0,"timeout":1000}}"#
                )
            case "/meta/subscribe":
                parts.append(
                    #"{"channel":"/meta/subscribe","id":"\#(id)","successful":true,"subscription":"/v2/me/devices"}"#)
            case "/meta/connect":
                let count = min(batch, total - next)
                if count == 0 { try? await Task.sleep(for: .milliseconds(200)) }
                for _ in 0..<count {
                    parts.append(notification(seq: next))
                    next += 1
                }
                parts.append(#"{"channel":"/meta/connect","id":"\#(id)","successful":true}"#)
            default:
                parts.append(#"{"channel":"\#(message.channel)","id":"\#(id)","successful":true}"#)
            }
        }
        return .json("[" + parts.joined(separator: ",") + "]")
    }
}

func option(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    return v
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

let total = option("--messages", default: 100_000)
let batch = option("--batch", default: 1000)

if CommandLine.arguments.contains("--serve") {
    let bench = BenchServer(total: total, batch: batch)
    let server = try await ScriptedHTTPServer.start { await bench.handle($0) }
    // Unbuffered, so the parent reads the port at once.
    FileHandle.standardOutput.write(Data("\(server.port)\n".utf8))
    // Serve until the parent closes our standard input.
    while readLine() != nil {}
    await server.stop()
    exit(0)
}

let child = Process()
child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
child.arguments = ["--serve", "--messages", String(total), "--batch", String(batch)]
let output = Pipe()
let input = Pipe()
child.standardOutput = output
child.standardInput = input
try child.run()
guard let line = String(data: output.fileHandleForReading.availableData, encoding: .utf8),
    let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines))
else {
    FileHandle.standardError.write("server did not start\n".data(using: .utf8) ?? Data())
    exit(1)
}

guard let http = CurlHTTPClient(configuration: CurlConfiguration(maxResponseSize: 4 << 20)) else { exit(1) }
var logger = Logger(label: "bench")
logger.logLevel = .warning
let client = BayeuxClient(
    configuration: BayeuxClientConfiguration(
        url: "http://127.0.0.1:\(port)/api/v2/notifications", subscriptions: ["/v2/me/devices"], useAckExtension: false),
    http: http, clock: ContinuousClock(), logger: logger)

let cpuStart = cpuSeconds()
let wallStart = ContinuousClock.now
let run = Task { await client.run() }
var received = 0
var inOrder = true
for await event in client.events {
    guard case .messages(let messages) = event else { continue }
    for message in messages {
        if message.data?["seq"]?.intValue != Int64(received) { inOrder = false }
        received += 1
    }
    if received >= total { break }
}
let wall = ContinuousClock.now - wallStart
let cpu = cpuSeconds() - cpuStart
client.disconnect()
_ = await run.value
http.shutdown()
try input.fileHandleForWriting.close()
child.waitUntilExit()

let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
print("messages:        \(received) (\(inOrder ? "all in order" : "OUT OF ORDER")), \(batch) per connect reply")
print("wall time:       \(String(format: "%.3f", seconds)) s")
print("throughput:      \(String(format: "%.0f", Double(received) / seconds)) messages/s")
print(
    "client CPU:      \(String(format: "%.3f", cpu)) s, \(String(format: "%.2f", cpu * 1e6 / Double(received))) µs per message"
)

// The worst replies a hostile server can send under the 1 MiB response cap: each parsed
// as the client parses a reply; CPU per parse (target: under 50 ms).
func worstCase(_ name: String, _ body: [UInt8], parser: JSONParser = JSONParser()) -> Bool {
    let rounds = 5
    let start = cpuSeconds()
    var outcome = ""
    for _ in 0..<rounds {
        do {
            _ = try parser.parse(body)
            outcome = "parsed"
        } catch {
            outcome = "refused: \(error)"
        }
    }
    let perParse = (cpuSeconds() - start) / Double(rounds) * 1000
    let met = perParse < 50
    print(
        "worst case:      \(name), \(body.count) bytes: \(String(format: "%.1f", perParse)) ms CPU per parse "
            + "(target under 50 ms) \(met ? "ok" : "MISS"), \(outcome)")
    return met
}

func manyKeys(limit: Int) -> [UInt8] {
    var text = "{"
    var index = 0
    while text.utf8.count < limit - 32 {
        text += "\"k\(index)\":\(index),"
        index += 1
    }
    text.removeLast()
    return Array((text + "}").utf8)
}

let cap = 1 << 20
let keys = manyKeys(limit: cap)
var worstOK = worstCase("one object, distinct keys, the daemon's parser", keys)
worstOK = worstCase("the same, every key accepted", keys, parser: JSONParser(maximumMembers: 1 << 20)) && worstOK
let nested = Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)
worstOK = worstCase("arrays nested to the maximum depth", nested) && worstOK
let escaped = Array(("\"" + String(repeating: "\\u00e9\\n", count: cap / 8 - 1) + "\"").utf8)
worstOK = worstCase("one string of escapes", escaped) && worstOK
exit(inOrder && received == total && worstOK ? 0 : 1)
