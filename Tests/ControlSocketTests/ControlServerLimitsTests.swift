import ControlSocket
import Foundation
import JSON
import Locking
import TestSupport
import Testing

/// The control server's bounds, one by one: each misbehaving client is dropped for its own
/// reason, and well-behaved clients beside it are answered. The timeouts are short here so
/// that each test waits for the drop itself (an event), never for a fixed time.
@Suite("The control server's limits")
struct ControlServerLimitsTests {
    /// A server in a temporary directory with a test handler: `ping` → `pong`, `big` → a
    /// reply of `bytes` bytes, `hold` → the client counts as busy (as with a subscription).
    final class Fixture: Sendable {
        let directory: TemporaryDirectory
        let server: ControlServer
        let drops = Locked<[(id: Int, reason: ControlServer.DropReason?)]>([])
        let handled = Locked<Int>(0)

        init(_ limits: ControlServer.Limits) throws {
            directory = try TemporaryDirectory()
            let drops = self.drops
            let handled = self.handled
            server = try ControlServer.start(
                path: directory.path + "/control.sock", limits: limits,
                handler: { request, connection in
                    handled.withLock { $0 += 1 }
                    switch request.op {
                    case "big":
                        let size = Int(request.arguments["bytes"]?.intValue ?? 0)
                        connection.send(
                            ControlProtocol.reply(
                                id: request.id, ["blob": .string(String(repeating: "x", count: size))]))
                    case "hold":
                        connection.beginActivity()
                        connection.send(ControlProtocol.reply(id: request.id, ["held": true]))
                    default:
                        connection.send(ControlProtocol.reply(id: request.id, ["pong": true]))
                    }
                },
                onDisconnect: { connection, reason in drops.withLock { $0.append((connection.id, reason)) } })
        }

        deinit { server.stop() }

        var path: String { server.path }

        func reasons() -> [ControlServer.DropReason?] { drops.withLock { $0.map(\.reason) } }

        /// Waits until some client was dropped for `reason`.
        func waitForDrop(_ reason: ControlServer.DropReason, sourceLocation: SourceLocation = #_sourceLocation) async {
            await waitUntil(
                "a client dropped for \(reason.rawValue); drops so far: \(reasons())", sourceLocation: sourceLocation
            ) {
                self.reasons().contains(reason)
            }
        }
    }

    /// Reads from `client` until a line satisfies `condition`, or the client is closed.
    private func line(
        from client: RawClient, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        where condition: @escaping @Sendable (JSONValue) -> Bool
    ) async -> JSONValue? {
        let seen = Locked<[JSONValue]>([])
        return await waitFor(what, sourceLocation: sourceLocation) { () -> JSONValue? in
            if let lines = client.lines() { seen.withLock { $0 += lines } }
            return seen.withLock { $0.first(where: condition) }
        }
    }

    @Test("A client that stops reading is dropped when its queued replies pass the limit")
    func outputOverflow() async throws {
        let fixture = try Fixture(.init(maxPendingOutput: 8 * 1024, stallTimeout: .seconds(600)))
        let greedy = try RawClient(path: fixture.path)
        for id in 1...64 { greedy.request("big", id: id, #","bytes":4096"#) }
        await fixture.waitForDrop(.outputOverflow)
        let polite = try RawClient(path: fixture.path)
        polite.request("ping")
        #expect(await line(from: polite, "a pong beside the dropped client") { $0["pong"] == true } != nil)
    }

    @Test("Replies left unread past the stall timeout drop the client; requests are not read meanwhile")
    func stalled() async throws {
        let fixture = try Fixture(.init(maxPendingOutput: 16 << 20, stallTimeout: .milliseconds(300)))
        let greedy = try RawClient(path: fixture.path)
        var sent = 0
        for id in 1...400 where greedy.request("big", id: id, #","bytes":65536"#) > 0 { sent += 1 }
        await fixture.waitForDrop(.stalled)
        // The server stopped reading once replies were pending: far fewer handled than sent.
        #expect(fixture.handled.withLock { $0 } < sent)
    }

    @Test("A silent client is dropped after the idle timeout; one with a subscription is not")
    func idle() async throws {
        let fixture = try Fixture(.init(idleTimeout: .milliseconds(300)))
        let holder = try RawClient(path: fixture.path)
        holder.request("hold")
        #expect(await line(from: holder, "the hold acknowledged") { $0["held"] == true } != nil)
        let silent = try RawClient(path: fixture.path)
        _ = silent
        await fixture.waitForDrop(.idle)
        #expect(fixture.reasons().filter { $0 == .idle }.count == 1)
        holder.request("ping", id: 2)
        #expect(await line(from: holder, "the holder still answered") { $0["pong"] == true } != nil)
    }

    @Test("A request line left unfinished drops its client")
    func partialLine() async throws {
        let fixture = try Fixture(.init(partialLineTimeout: .milliseconds(300)))
        let client = try RawClient(path: fixture.path)
        client.write(Array(#"{"v":1,"op":"pi"#.utf8))
        await fixture.waitForDrop(.partialLine)
    }

    @Test("A line past the limit is answered line_too_long and closed; a flood is not kept")
    func longLine() async throws {
        let fixture = try Fixture(.init(maxLineBytes: 1024))
        let client = try RawClient(path: fixture.path)
        client.write([UInt8](repeating: UInt8(ascii: "a"), count: 4096))
        let refusal = await line(from: client, "the line_too_long reply") { $0["ok"] == false }
        #expect(refusal?["error"]?["code"] == "line_too_long")
        await waitUntil("the client closed by the server") { client.lines() == nil }
        // 16 MiB thrown at the socket: the server closes it long before; nothing is answered.
        let flood = try RawClient(path: fixture.path)
        let chunk = [UInt8](repeating: UInt8(ascii: "["), count: 64 * 1024)
        var closed = false
        for _ in 0..<256 where !closed {
            let taken = await waitFor("the socket taking bytes or closing") { () -> Int? in
                let count = flood.write(chunk)
                return count == 0 ? nil : count
            }
            closed = taken == -1
        }
        #expect(closed)
        #expect(fixture.handled.withLock { $0 } == 0)
    }

    @Test("Past maxClients a connection is kept for reload and ping; the next is refused")
    func reservedSlot() async throws {
        let fixture = try Fixture(.init(maxClients: 2, reservedClients: 2))
        let first = try RawClient(path: fixture.path)
        let second = try RawClient(path: fixture.path)
        for client in [first, second] {
            client.request("ping")
            #expect(await line(from: client, "a pong") { $0["pong"] == true } != nil)
        }
        let spare = try RawClient(path: fixture.path)
        spare.request("set", id: 9)
        let refused = await line(from: spare, "the kept slot refusing set") { $0["ok"] == false }
        #expect(refused?["error"]?["code"] == "too_many_clients")
        await waitUntil("the refused client closed") { spare.lines() == nil }

        var kept: [RawClient] = []
        for id in 3...4 {
            let client = try RawClient(path: fixture.path)
            client.request("ping", id: id)
            #expect(await line(from: client, "ping through a kept slot") { $0["pong"] == true } != nil)
            kept.append(client)
        }
        let beyond = try RawClient(path: fixture.path)
        beyond.request("ping", id: 5)
        let full = await line(from: beyond, "the refusal past the kept slots") { $0["ok"] == false }
        #expect(full?["error"]?["code"] == "too_many_clients")
        #expect(kept.count == 2)
        #expect(fixture.reasons().contains(.tooManyClients))
    }

    @Test("A burst of requests from one client does not keep another waiting")
    func fairness() async throws {
        let fixture = try Fixture(.init(maxPendingOutput: 64 << 20))
        let busy = try RawClient(path: fixture.path)
        var burst: [UInt8] = []
        for id in 1...5_000 { burst += Array(#"{"v":1,"id":\#(id),"op":"ping"}"#.utf8) + [0x0A] }
        busy.write(burst)
        let other = try RawClient(path: fixture.path)
        other.request("ping", id: 77)
        #expect(await line(from: other, "the other client's pong") { $0["id"] == 77 } != nil)
    }
}
