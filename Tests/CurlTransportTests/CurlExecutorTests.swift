import CSerialExecutor
import HTTPTransport
import ScriptedHTTPServer
import Testing

@testable import CurlTransport

/// A shard of the daemon's agents: a thread that runs the tasks preferring it and serves a
/// libcurl loop of its own between their jobs.
@Suite("A shard executor with its own libcurl loop")
struct CurlExecutorTests {
    /// Runs `body` with a server answering `handler`, and stops the server after.
    /// (The shards' threads live on, as they do in the daemon.)
    private func withServer(
        _ handler: @escaping ScriptedHTTPServer.Handler, _ body: (ScriptedHTTPServer) async throws -> Void
    ) async throws {
        let server = try await ScriptedHTTPServer.start(handler: handler)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// What a task on the shard saw.
    private struct Seen: Sendable, Equatable {
        var onShard = false
        var loopIsShards = false
        var resumedOnShard = false
        var body = ""
    }

    @Test("A task on a shard makes its clients on the shard's loop and resumes there")
    func clientsUseTheShardsLoop() async throws {
        let handler: ScriptedHTTPServer.Handler = { _ in .json(#"{"ok":true}"#) }
        try await withServer(handler) { server in try await onShard(server) }
    }

    private func onShard(_ server: ScriptedHTTPServer) async throws {
        let shard = try #require(CurlExecutor(name: "test-shard"))
        let jobsBefore = shard.jobStats.count
        let url = server.baseURL + "/api"
        let seen = try await Task(executorPreference: shard) { () async throws -> Seen in
            var seen = Seen()
            seen.onShard = shard.isCurrent
            seen.loopIsShards = CurlLoop.forExecutor() === shard.loop
            let client = try #require(CurlHTTPClient())
            defer { client.shutdown() }
            let response = try await client.perform(HTTPRequest(method: .get, url: url))
            seen.resumedOnShard = shard.isCurrent
            seen.body = String(decoding: response.body, as: UTF8.self)
            return seen
        }.value
        #expect(seen == Seen(onShard: true, loopIsShards: true, resumedOnShard: true, body: #"{"ok":true}"#))
        #expect(!shard.isCurrent)
        #expect(shard.jobStats.count > jobsBefore)
        #expect(CurlExecutor.combinedJobStats().count >= shard.jobStats.count)
    }

    @Test("A client made on a shard serves requests from other threads too")
    func requestsFromElsewhere() async throws {
        let handler: ScriptedHTTPServer.Handler = { request in .json(#"{"uri":"\#(request.uri)"}"#) }
        try await withServer(handler) { server in try await fromElsewhere(server) }
    }

    private func fromElsewhere(_ server: ScriptedHTTPServer) async throws {
        let shard = try #require(CurlExecutor(name: "test-shard"))
        let client = try await Task(executorPreference: shard) { try #require(CurlHTTPClient()) }.value
        defer { client.shutdown() }
        // This test's task is not on the shard: the request reaches the loop through its
        // inbox and wakes the shard's thread.
        #expect(!shard.isCurrent)
        for index in 0..<3 {
            let response = try await client.perform(HTTPRequest(method: .get, url: server.baseURL + "/\(index)"))
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"uri":"/\#(index)"}"#)
        }
    }

    @Test("Statistics add up over executors and the longest job is the longest of any")
    func statisticsAddUp() {
        var first = gws_executor_job_stats()
        gws_executor_job_stats_record(&first, 2_000_000)
        var second = gws_executor_job_stats()
        gws_executor_job_stats_record(&second, 30_000_000)
        gws_executor_job_stats_record(&second, 500)
        first.add(second)
        #expect(first.count == 3)
        #expect(first.sum_ns == 32_000_500)
        #expect(first.max_ns == 30_000_000)
        #expect([first.buckets.0, first.buckets.1, first.buckets.2, first.buckets.3] == [1, 1, 0, 1])
    }
}
