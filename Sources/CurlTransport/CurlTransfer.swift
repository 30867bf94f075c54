import CCurl
import HTTPTransport
import Text

/// One request in flight: its easy handle, the bytes received so far, and the
/// continuation to resume when it ends.
///
/// Ownership: a transfer is created by the calling task, then handed to the loop thread,
/// which alone touches `easy`, `headerList`, `body` and `headers` from then on. Only
/// `cancelled` is shared, and it is read and written under the loop's inbox lock.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    /// The connection settings of the client that made the request.
    let configuration: CurlConfiguration
    /// The client's cookie jar and caches, kept alive until the easy handle is freed.
    let share: CurlShare
    var limit: Int { configuration.maxResponseSize }
    var continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>?
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    var exceededLimit = false
    /// Guarded by the loop's inbox lock.
    var cancelled = false

    init(request: HTTPRequest, configuration: CurlConfiguration, share: CurlShare) {
        self.request = request
        self.configuration = configuration
        self.share = share
    }

    /// Resumes the waiting task exactly once.
    func finish(_ result: Result<HTTPResponse, TransportError>) {
        continuation?.resume(returning: result)
        continuation = nil
    }

    /// Appends body bytes; refuses (aborting the transfer) once the limit is passed.
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if body.count + bytes.count > limit {
            exceededLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Records one raw header line; a new status line starts a new header block
    /// (after `100 Continue` or a proxy's `CONNECT` reply).
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        if bytes.starts(with: "HTTP/".utf8) {
            headers.removeAll()
            return
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: bytes[..<colon], as: UTF8.self).trimmingWhitespace
        let value = String(decoding: bytes[(colon + 1)...], as: UTF8.self).trimmingWhitespace
        guard !name.isEmpty else { return }
        headers.append(HTTPHeader(name, value))
        // Size the body buffer once instead of growing it through many copies.
        if body.isEmpty, name.lowercased() == "content-length", let length = Int(value), length > 0, length <= limit {
            body.reserveCapacity(length)
        }
    }
}
