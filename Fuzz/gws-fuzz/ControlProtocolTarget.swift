import ControlSocket
import JSON

/// The control socket's requests as any local client can send them: the input is split into
/// lines as the server splits them, and each line is read as a request. A line that reads
/// must survive being written and read again, and the replies to it must be single JSON
/// lines that carry its `id`.
enum ControlProtocolTarget {
    static func run(_ bytes: [UInt8]) {
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true).prefix(64) {
            guard case .success(let request) = ControlProtocol.request(from: line) else { continue }
            let written = request.line
            guard written.last == 0x0A, !written.dropLast().contains(0x0A) else {
                fatalError("a request was written as more than one line")
            }
            guard case .success(let again) = ControlProtocol.request(from: written.dropLast()), again == request else {
                fatalError("a request did not survive writing and reading")
            }
            for reply in [
                ControlProtocol.reply(id: request.id, ["pong": true]),
                ControlProtocol.reply(ControlError(.badRequest, request.op, id: request.id)),
            ] {
                guard reply.last == 0x0A, !reply.dropLast().contains(0x0A),
                    let value = try? JSONParser().parse(reply.dropLast()), value["id"] == request.id
                else { fatalError("a reply was not one JSON line carrying the request's id") }
            }
        }
    }
}
