import JSON
import ScriptedHTTPServer

extension GWSSimulator {
    /// `/sim/control/...`: faults, restarts, session losses, password changes, nodes,
    /// operations as another desktop, counters, the request log and the agent's true
    /// state. Documented in docs/simulator.md. Any node serves it for the whole cluster.
    func control(_ request: RecordedRequest, _ parts: RequestParts) async -> ScriptedResponse {
        let body = (try? JSONParser().parse(request.body)) ?? [:]
        let count = Int(body["count"]?.intValue ?? 1)
        let action = parts.path.dropFirst("/sim/control/".count)
        switch (request.method, action) {
        case ("GET", "counters"):
            return .json(
                .object(
                    JSONObject(
                        engine.counters.snapshot.sorted { $0.key < $1.key }.map {
                            ($0.key, JSONValue.int(Int64($0.value)))
                        })))
        case ("GET", "requests"):
            return .json(JSONValue.array(await engine.requests.map(\.json)))
        case ("GET", "agent"):
            guard let agent = await engine.agent(parts.query["username"]) else { return .json(notFound, status: 404) }
            return .json(agent.userResource(baseURL: baseURL, subresources: true))
        case ("POST", "fault"):
            guard let fault = Self.fault(from: body) else {
                return .json(["error": "unknown fault; see docs/simulator.md"] as JSONValue, status: 400)
            }
            let target = body["target"]?.stringValue.flatMap(FaultTarget.init(rawValue:)) ?? .any
            await engine.inject(fault, count: count, target: target)
        case ("POST", "clear-faults"):
            await engine.clearFaults()
        case ("POST", "drop-sessions"):
            await engine.dropSessions()
        case ("POST", "reconnect-none"):
            await engine.injectReconnectNone(count: count)
        case ("POST", "multiple-clients"):
            await engine.injectMultipleClients(count: count)
        case ("POST", "unanswered-subscribes"):
            await engine.injectUnansweredSubscribes(count: count)
        case ("POST", "restart"):
            let downtime = Duration.milliseconds(body["down_ms"]?.intValue ?? 500)
            guard let node = node(in: body) else { return badNode }
            // Answer first: the restart closes this very connection.
            Task { try? await self.restart(downtime: downtime, node: node) }
        case ("POST", "expire-http-sessions"):
            guard let node = node(in: body) else { return badNode }
            await engine.expireHTTPSessions(node: node, username: body["username"]?.stringValue)
        case ("POST", "password"):
            guard let password = body["password"]?.stringValue, !password.isEmpty else {
                return .json(["error": "password is required"] as JSONValue, status: 400)
            }
            guard await engine.changePassword(password, username: body["username"]?.stringValue) else {
                return .json(notFound, status: 404)
            }
        case ("POST", "end-session"):
            return await engine.operationReply(
                await engine.endContactCenterSession(username: body["username"]?.stringValue), headers: [])
        case ("POST", "stop-node"), ("POST", "start-node"):
            guard let node = node(in: body), let index = node else { return badNode }
            if action == "stop-node" {
                // Answer first: stopping the node closes this connection when it is the one.
                Task { await self.stopListening(node: index) }
            } else {
                do { try await startListening(node: index) } catch {
                    return .json(["error": .string("cannot listen again: \(error)")] as JSONValue, status: 500)
                }
            }
        case ("GET", "nodes"):
            var entries: [JSONValue] = []
            for index in 0..<nodeCount {
                entries.append([
                    "node": .int(Int64(index)), "url": .string(baseURL(node: index)), "up": .bool(isUp(node: index)),
                    "http_sessions": .int(Int64(await engine.httpSessionCount(node: index))),
                ])
            }
            return .json(.array(entries))
        case ("POST", "call"):
            return await callControl(body)
        case ("POST", "operation"):
            guard let operation = body["operation"]?.stringValue else {
                return .json(["error": "operation is required"] as JSONValue, status: 400)
            }
            let scope: OperationScope =
                body["channel"]?.stringValue.map(OperationScope.channel)
                ?? body["device"]?.stringValue.map(OperationScope.device) ?? .all
            let outcome = await engine.apply(operation, scope: scope, username: body["username"]?.stringValue)
            return await engine.operationReply(outcome, headers: [])
        default:
            return .json(notFound, status: 404)
        }
        return .json(["ok": true] as JSONValue)
    }

    /// `POST /sim/control/call`: `{"action": "ring"|"dial"|"answer"|"establish"|"hold"|
    /// "retrieve"|"release"|"attach", "username", "id", "from", "attached_data"}`.
    func callControl(_ body: JSONValue) async -> ScriptedResponse {
        let username = body["username"]?.stringValue
        let id = body["id"]?.stringValue
        let operations = [
            "answer": "Answer", "establish": "Establish", "hold": "Hold", "retrieve": "Retrieve", "release": "Hangup",
        ]
        switch body["action"]?.stringValue {
        case let action? where action == "ring" || action == "dial":
            guard
                let callID = await engine.startCall(
                    username: username, inbound: action == "ring", otherParty: body["from"]?.stringValue ?? "5550100",
                    userData: body["attached_data"]?.objectValue ?? [:])
            else { return .json(notFound, status: 404) }
            return .json(["ok": true, "id": .string(callID)] as JSONValue)
        case "attach"?:
            return await engine.operationReply(
                await engine.attachData(body["attached_data"]?.objectValue ?? [:], id: id, username: username),
                headers: [])
        case let action? where operations[action] != nil:
            return await engine.operationReply(
                await engine.operateCall(operations[action] ?? "", id: id, username: username), headers: [])
        default:
            return .json(
                ["error": "action must be ring, dial, answer, establish, hold, retrieve, release or attach"]
                    as JSONValue, status: 400)
        }
    }

    /// The `node` member of a control request: `.some(nil)` when absent (every node),
    /// `nil` when it names no node.
    func node(in body: JSONValue) -> Int?? {
        guard let value = body["node"] else { return .some(nil) }
        guard let index = value.intValue, (0..<nodeCount).contains(Int(index)) else { return nil }
        return .some(Int(index))
    }

    var badNode: ScriptedResponse {
        .json(["error": .string("node must be between 0 and \(nodeCount - 1)")] as JSONValue, status: 400)
    }

    /// Reads `{"fault": "status", "status": 503}` and friends.
    static func fault(from body: JSONValue) -> Fault? {
        switch body["fault"]?.stringValue {
        case "status": return .status(Int(body["status"]?.intValue ?? 503))
        case "delay": return .delay(.milliseconds(body["ms"]?.intValue ?? 1000))
        case "hang": return .hang
        case "malformed": return .malformed
        case "empty": return .empty
        case "oversized": return .oversized(Int(body["bytes"]?.intValue ?? 2 << 20))
        case "close-mid-body": return .closeMidBody
        case "many-keys": return .manyKeys(Int(body["keys"]?.intValue ?? 90_000))
        case "many-objects": return .manyObjects(Int(body["objects"]?.intValue ?? 300_000))
        case "deep-nesting": return .deepNesting(Int(body["depth"]?.intValue ?? 100_000))
        case "trickle": return .trickle
        case "huge-header": return .hugeHeader(Int(body["bytes"]?.intValue ?? 200_000))
        case "endless-body": return .endlessBody
        case "echo": return .echo(status: Int(body["status"]?.intValue ?? 403))
        default: return nil
        }
    }
}

extension LoggedRequest {
    var json: JSONValue {
        [
            "method": .string(method), "path": .string(path), "headers": .array(headers.map(JSONValue.string)),
            "channels": .array(channels.map(JSONValue.string)), "status": .int(Int64(status)),
            "node": .int(Int64(node)), "cookies": .array(cookies.map(JSONValue.string)),
        ]
    }
}
