import Locking
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the test server received it.
public struct RecordedRequest: Sendable {
    public var method: String
    public var uri: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Which accepted connection carried it (1 for the first), to observe keep-alive.
    public var connection: Int

    /// The first value of header `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    public init(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8], connection: Int) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
        self.connection = connection
    }
}

/// What the test server does with one request.
public enum ScriptedResponse: Sendable {
    /// A complete response.
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// Headers announcing `declaredLength` bytes, then only `body`, then the connection closes.
    case truncated(declaredLength: Int, body: [UInt8])
    /// Close the connection without answering.
    case close
    /// Never answer; the connection stays open until the client gives up or the server stops.
    case hang
    /// Headers announcing `body`, then the body one byte per `every`, as a slow or hostile
    /// server would send it.
    case trickle(body: [UInt8], every: Duration)
    /// A 200 with a chunked body that never ends: `chunk` again and again, one per `every`,
    /// until the client closes the connection.
    case endlessChunked(chunk: [UInt8], every: Duration)

    /// A 200 response with a JSON body.
    public static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> ScriptedResponse {
        .respond(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(text.utf8))
    }
}

/// An HTTP/1.1 server whose answers come from an async closure.
///
/// Tests start one on 127.0.0.1 and a random port, point a client at ``baseURL``, and stop
/// it at the end; the GWS simulator serves through it too. It keeps connections alive
/// like a normal server and can misbehave on demand (see ``ScriptedResponse``).
public final class ScriptedHTTPServer: Sendable {
    public typealias Handler = @Sendable (RecordedRequest) async -> ScriptedResponse
    /// Told, on the event loop, when a complete response to a request is encoded and about
    /// to be flushed to the socket: the server's work is done and the client can read it
    /// a system call later (benchmarks time deliveries from there).
    public typealias WriteObserver = @Sendable (RecordedRequest) -> Void

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let registry: ConnectionRegistry

    /// The port the server listens on.
    public let port: Int
    /// The address the server listens on.
    public let host: String
    /// `http://HOST:PORT`.
    public var baseURL: String { "http://\(host):\(port)" }
    /// How many TCP connections were accepted so far.
    public var acceptedConnections: Int { registry.state.withLock { $0.accepted } }

    private init(
        group: MultiThreadedEventLoopGroup, channel: any Channel, registry: ConnectionRegistry, host: String, port: Int
    ) {
        self.host = host
        self.group = group
        self.channel = channel
        self.registry = registry
        self.port = port
    }

    /// Starts a server whose responses `handler` decides, on `host` and `port` (0 picks
    /// a free port).
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, onWrite: WriteObserver? = nil, handler: @escaping Handler
    ) async throws -> ScriptedHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let registry = ConnectionRegistry()
        let bootstrap = ServerBootstrap(group: group)
            // A burst of connections (10,000 agents' disconnects at a stop) waits in the
            // accept queue instead of being dropped: a dropped SYN costs the client a 1 s
            // retransmit, which the fleet benchmark then counted as the daemon's stop. The
            // kernel caps this at net.core.somaxconn (4096 on Debian 12).
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                let number = registry.add(child)
                return child.pipeline.configureHTTPServerPipeline().flatMap {
                    child.pipeline.addHandler(
                        ScriptedHandler(handler: handler, onWrite: onWrite, connection: number, registry: registry))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let boundPort = channel.localAddress?.port ?? port
        return ScriptedHTTPServer(group: group, channel: channel, registry: registry, host: host, port: boundPort)
    }

    /// Closes the listener and every open connection, then stops the event loop.
    public func stop() async {
        try? await channel.close()
        let open = registry.state.withLock { state in
            state.stopped = true
            defer { state.connections = [] }
            return state.connections
        }
        for connection in open { try? await connection.close() }
        try? await group.shutdownGracefully()
    }
}

/// The accepted connections, so that stopping the server closes them too.
private final class ConnectionRegistry: Sendable {
    struct State {
        var connections: [any Channel] = []
        var accepted = 0
        /// Set when ``ScriptedHTTPServer/stop()`` begins; the event loop may be gone after.
        var stopped = false
    }

    let state = Locked(State())

    /// Records `child` until it closes and returns its number, 1 for the first.
    func add(_ child: any Channel) -> Int {
        let number = state.withLock { state in
            state.accepted += 1
            state.connections.append(child)
            return state.accepted
        }
        child.closeFuture.whenComplete { [self] _ in
            state.withLock { state in state.connections.removeAll { $0 === child } }
        }
        return number
    }

    /// Runs `work` on `eventLoop` unless the server is stopping. Under the lock, so that
    /// the loop cannot be shut down between the check and the hand-over.
    func execute(on eventLoop: any EventLoop, _ work: @escaping @Sendable () -> Void) {
        state.withLock { state in
            guard !state.stopped else { return }
            eventLoop.execute(work)
        }
    }
}

/// Collects one request at a time and writes what the handler scripts.
private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
    // Only touched on the channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: ScriptedHTTPServer.Handler
    let onWrite: ScriptedHTTPServer.WriteObserver?
    let connection: Int
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    let registry: ConnectionRegistry

    init(
        handler: @escaping ScriptedHTTPServer.Handler, onWrite: ScriptedHTTPServer.WriteObserver?, connection: Int,
        registry: ConnectionRegistry
    ) {
        self.handler = handler
        self.onWrite = onWrite
        self.connection = connection
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            guard let head else { return }
            let request = RecordedRequest(
                method: head.method.rawValue, uri: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body, connection: connection)
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handler = self.handler
            let onWrite = self.onWrite
            let eventLoop = context.eventLoop
            let keepAlive = head.isKeepAlive
            let registry = self.registry
            Task {
                let response = await handler(request)
                registry.execute(on: eventLoop) {
                    Self.write(response, keepAlive: keepAlive, context: loopBound.value) { onWrite?(request) }
                }
            }
        }
    }

    /// Writes the body piece `next(n)` returns, one per `every`, until it returns `nil`
    /// (then the response ends) or the client goes away.
    static func sendSlowly(
        context: ChannelHandlerContext, every: Duration, next: @escaping @Sendable (Int) -> [UInt8]?
    ) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let delay = TimeAmount.nanoseconds(
            Int64(every.components.seconds) * 1_000_000_000 + every.components.attoseconds / 1_000_000_000)
        @Sendable func step(_ index: Int) {
            let context = loopBound.value
            guard context.channel.isActive else { return }
            guard let piece = next(index) else {
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
                return
            }
            context.writeAndFlush(
                NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: piece)))), promise: nil)
            context.eventLoop.scheduleTask(in: delay) { step(index + 1) }
        }
        step(0)
    }

    /// Writes `response`. A complete response is encoded first, then `beforeFlush` runs,
    /// then it is flushed to the socket.
    static func write(
        _ response: ScriptedResponse, keepAlive: Bool, context: ChannelHandlerContext, beforeFlush: () -> Void = {}
    ) {
        switch response {
        case .hang:
            return
        case .close:
            context.close(promise: nil)
        case .respond(let status, let headers, let body):
            var fields = HTTPHeaders(headers)
            fields.replaceOrAdd(name: "Content-Length", value: String(body.count))
            if !keepAlive { fields.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: fields)
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.write(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
            beforeFlush()
            context.flush()
            if !keepAlive { context.close(promise: nil) }
        case .trickle(let body, let every):
            let head = HTTPResponseHead(
                version: .http1_1, status: .ok,
                headers: ["Content-Type": "application/json", "Content-Length": String(body.count)])
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            sendSlowly(
                context: context, every: every,
                next: { index in index < body.count ? [body[index]] : nil })
        case .endlessChunked(let chunk, let every):
            // No Content-Length: the encoder sends the body chunked.
            let head = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Type": "application/json"])
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            sendSlowly(context: context, every: every, next: { _ in chunk })
        case .truncated(let declared, let body):
            let head = HTTPResponseHead(
                version: .http1_1, status: .ok, headers: ["Content-Length": String(declared)])
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            let channel = context.channel
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body)))))
                .whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
