import BayeuxCore
import JSON
import ScriptedHTTPServer

extension GWSEngine {
    /// Who a request is, and the HTTP session it belongs to.
    struct Caller {
        var username: String
        var sessionID: String
        var csrfToken: String
        /// Set when this request created the session (its cookie must be set on the reply).
        var newCookie: String?
        /// Whether the request came with a valid session cookie.
        var hadSession: Bool
    }

    /// Basic credentials or the `JSESSIONID` cookie of a live session on `node`; Basic
    /// that does not match is refused even with a valid cookie. Basic with an unknown,
    /// expired or other node's cookie gets a new session (and a new CSRF token).
    func authenticate(_ parts: RequestParts, node: Int) -> Caller? {
        let now = sessionNow
        let cookieID = parts.cookies["JSESSIONID"]
        let cookieSession = nodes[node].httpSessions.lookup(cookieID, now: now).flatMap { entry in
            cookieID.map { ($0, entry) }
        }
        if parts.hasAuthorization {
            guard let (user, password) = parts.basic, let agent = agents[user], agent.password == password else {
                counters.increment(.authFailures)
                return nil
            }
            if let (id, entry) = cookieSession, entry.username == user {
                nodes[node].httpSessions.touch(id, now: now)
                return Caller(
                    username: user, sessionID: id, csrfToken: entry.csrfToken, newCookie: nil, hadSession: true)
            }
            let (id, entry) = nodes[node].httpSessions.create(for: user, now: now)
            counters.increment(.httpSessionsCreated)
            return Caller(
                username: user, sessionID: id, csrfToken: entry.csrfToken,
                newCookie: "JSESSIONID=\(id); Path=/; HttpOnly",
                hadSession: false)
        }
        guard let (id, entry) = cookieSession else {
            counters.increment(.authFailures)
            return nil
        }
        nodes[node].httpSessions.touch(id, now: now)
        return Caller(
            username: entry.username, sessionID: id, csrfToken: entry.csrfToken, newCookie: nil, hadSession: true)
    }

    /// Whether a POST carries the CSRF token of the session it came with.
    func passesCSRF(_ request: RecordedRequest, _ caller: Caller) -> Bool {
        caller.hadSession && request.header("X-CSRF-TOKEN") == caller.csrfToken
    }

    /// GWS's answer to a POST without the right session cookie or CSRF token.
    func csrfRefused(headers: [(String, String)]) -> ScriptedResponse {
        counters.increment(.csrfFailures)
        return .respond(
            status: 403, headers: [("Content-Type", "text/plain")] + headers,
            body: Array("Missing or invalid Csrf token".utf8))
    }

    var unauthorized: ScriptedResponse {
        .json(
            ["statusCode": 20, "statusMessage": "User not authenticated"] as JSONValue, status: 401,
            headers: [("WWW-Authenticate", "Basic realm=\"GWS\"")])
    }

    func rest(_ request: RecordedRequest, _ parts: RequestParts, node: Int) async -> ScriptedResponse {
        guard let caller = authenticate(parts, node: node) else { return unauthorized }
        var headers: [(String, String)] = []
        if let cookie = caller.newCookie { headers.append(("Set-Cookie", cookie)) }
        if request.method == "GET" {
            headers += [("X-CSRF-HEADER", "X-CSRF-TOKEN"), ("X-CSRF-TOKEN", caller.csrfToken)]
            return read(parts, username: caller.username, headers: headers)
        }
        guard request.method == "POST" else { return .json(notFound, status: 405, headers: headers) }
        guard passesCSRF(request, caller) else { return csrfRefused(headers: headers) }
        return await operate(request, parts, caller: caller, node: node, headers: headers)
    }

    private func read(_ parts: RequestParts, username: String, headers: [(String, String)]) -> ScriptedResponse {
        guard let agent = agents[username] else { return .json(notFound, status: 404, headers: headers) }
        let segments = parts.path.split(separator: "/").map(String.init)
        switch segments {
        case ["api", "v2", "me"]:
            let user = agent.userResource(baseURL: baseURL, subresources: parts.query["subresources"] != nil)
            return .json(["statusCode": 0, "user": user] as JSONValue, headers: headers)
        case ["api", "v2", "me", "devices"]:
            if parts.query["fields"] != nil {
                return .json(
                    ["statusCode": 0, "devices": .array(agent.devices.map { $0.resource(baseURL: baseURL) })]
                        as JSONValue, headers: headers)
            }
            let uris = agent.devices.map { JSONValue.string(baseURL + "/api/v2/devices/" + $0.id) }
            return .json(["statusCode": 0, "uris": .array(uris)] as JSONValue, headers: headers)
        case let s where s.count == 5 && s.starts(with: ["api", "v2", "me", "devices"]):
            guard let device = agent.devices.first(where: { $0.id.lowercased() == s[4].lowercased() }) else {
                return .json(notFound, status: 404, headers: headers)
            }
            return .json(["statusCode": 0, "device": device.resource(baseURL: baseURL)] as JSONValue, headers: headers)
        case let s where s.starts(with: ["api", "v2", "me", "calls"]) && s.count <= 5:
            guard let reply = readCalls(s, fields: parts.query["fields"] != nil, agent: agent) else {
                return .json(notFound, status: 404, headers: headers)
            }
            return .json(reply, headers: headers)
        case ["api", "v2", "me", "channels"]:
            return .json(
                ["statusCode": 0, "channels": .array(agent.channels.map(\.resource))] as JSONValue, headers: headers)
        case ["api", "v2", "settings", "agent-states"]:
            return .json(
                ["statusCode": 0, "settings": .array(AgentStateDefinition.all.map(\.settingsEntry))] as JSONValue,
                headers: headers)
        case ["api", "v2", "diagnostics", "version"]:
            return .json(["statusCode": 0, "version": "8.5.2-gws-sim"] as JSONValue, headers: headers)
        default:
            return .json(notFound, status: 404, headers: headers)
        }
    }

    private func operate(
        _ request: RecordedRequest, _ parts: RequestParts, caller: Caller, node: Int, headers: [(String, String)]
    ) async -> ScriptedResponse {
        let username = caller.username
        let segments = parts.path.split(separator: "/").map(String.init)
        if segments.count == 5, segments.starts(with: ["api", "v2", "me", "calls"]) {
            guard let body = try? JSONParser().parse(request.body), let operation = body["operationName"]?.stringValue,
                ["Answer", "Hold", "Retrieve", "Hangup"].contains(operation)
            else {
                return operationReply(
                    .rejected(statusCode: 1, message: "'operationName' must be Answer, Hold, Retrieve or Hangup"),
                    headers: headers)
            }
            return operationReply(await operateCall(operation, id: segments[4], username: username), headers: headers)
        }
        let scope: OperationScope
        switch segments {
        case ["api", "v2", "me"]: scope = .all
        case let s where s.count == 5 && s.starts(with: ["api", "v2", "me", "channels"]): scope = .channel(s[4])
        case let s where s.count == 5 && s.starts(with: ["api", "v2", "me", "devices"]): scope = .device(s[4])
        default: return .json(notFound, status: 404, headers: headers)
        }
        guard let body = try? JSONParser().parse(request.body), let operation = body["operationName"]?.stringValue
        else {
            return operationReply(
                .rejected(statusCode: 1, message: "Required parameter 'operationName' is missing"), headers: headers)
        }
        let outcome = await apply(operation, scope: scope, username: username)
        if operation == "EndContactCenterSession", case .accepted = outcome {
            // It must be the session's last call: GWS invalidates the caller's HTTP session.
            nodes[node].httpSessions.remove(caller.sessionID)
        }
        return operationReply(outcome, headers: headers)
    }

    /// The HTTP reply to an operation, in the configured format.
    func operationReply(_ outcome: OperationOutcome, headers: [(String, String)]) -> ScriptedResponse {
        switch outcome {
        case .accepted:
            let body: JSONValue = configuration.legacyReplies ? ["status": "ok"] : ["statusCode": 0]
            return .json(body, headers: headers)
        case .rejected(let code, let message):
            let body: JSONValue =
                configuration.legacyReplies
                ? ["status": "error", "errorDescription": .string(message)]
                : ["statusCode": .int(Int64(code)), "statusMessage": .string(message)]
            return .json(body, status: code == 6 ? 404 : 400, headers: headers)
        }
    }

    func cometd(_ request: RecordedRequest, _ parts: RequestParts, node: Int) async -> ScriptedResponse {
        guard let caller = authenticate(parts, node: node) else { return unauthorized }
        var headers: [(String, String)] = []
        if let cookie = caller.newCookie { headers.append(("Set-Cookie", cookie)) }
        if configuration.csrfOnCometD, !passesCSRF(request, caller) { return csrfRefused(headers: headers) }
        guard request.method == "POST", let messages = try? BayeuxCodec.decode(request.body) else {
            return .json(["statusCode": 1, "statusMessage": "Bayeux messages expected"] as JSONValue, status: 400)
        }
        let engine = nodes[node].cometd
        let response = await engine.handle(
            messages, browser: parts.cookies["BAYEUX_BROWSER"], username: caller.username)
        // A long poll is a request like any other: its end refreshes the session too.
        nodes[node].httpSessions.touch(caller.sessionID, now: sessionNow)
        if let cookie = response.setCookie { headers.append(("Set-Cookie", cookie)) }
        guard response.status == 200 else { return .htmlError(response.status) }
        return .bayeux(response.messages, headers: headers)
    }
}
