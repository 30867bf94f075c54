import CCurl
import HTTPTransport
import Text

/// One request in flight: its easy handle, the bytes received so far, and the
/// continuation to resume when it ends.
///
/// Ownership: a transfer is created by the calling task, then handed to the loop thread,
/// which alone touches `easy`, `headerList`, `headerListSource`, `errorBuffer`, `body`, `headers`,
/// `diagnosis` and `certificateFields` until it resumes the continuation; after that only
/// the calling task reads `diagnosis` and `certificateFields` (the resume orders the two).
/// Only `cancelled` is shared, and it is read and written under the loop's inbox lock.
/// `errorBuffer` is allocated here and freed in `deinit`, after the loop has freed the
/// easy handle that writes into it (the loop holds a reference until then).
final class CurlTransfer: @unchecked Sendable {
    /// What the transfer is for.
    enum Purpose {
        /// The request itself.
        case request
        /// A TLS handshake without verification and without sending anything, to read
        /// the server's certificate for a diagnosis.
        case certificateProbe
    }

    let request: HTTPRequest
    let purpose: Purpose
    /// The connection settings of the client that made the request.
    let configuration: CurlConfiguration
    /// The client's cookie jar and caches, kept alive until the easy handle is freed.
    let share: CurlShare
    var limit: Int { configuration.maxResponseSize }
    var continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>?
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// The request headers `headerList` holds (without the `Expect:` that ends it).
    var headerListSource: [HTTPHeader] = []
    var body: [UInt8] = []
    var headers: [HTTPHeader] = []
    var exceededLimit = false
    /// libcurl's specific text for a failure (`CURLOPT_ERRORBUFFER`).
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// The classified failure, when the transfer failed to resolve, connect or verify.
    var diagnosis: ConnectionDiagnosis?
    /// The server certificate's information lines, for a ``Purpose/certificateProbe``.
    var certificateFields: [String] = []
    /// Guarded by the loop's inbox lock.
    var cancelled = false

    init(
        request: HTTPRequest, configuration: CurlConfiguration, share: CurlShare, purpose: Purpose = .request
    ) {
        self.request = request
        self.configuration = configuration
        self.share = share
        self.purpose = purpose
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        errorBuffer.deallocate()
    }

    /// Where the request goes, for error texts.
    var endpoint: Endpoint { Endpoint(url: request.url, proxy: configuration.proxy) }

    /// libcurl's specific error text, without its trailing newline.
    var specificError: String {
        String(cString: errorBuffer).trimmingWhitespace
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
        let name = Self.trimmed(bytes[..<colon])
        let value = Self.trimmed(bytes[(colon + 1)...])
        guard !name.isEmpty else { return }
        headers.append(HTTPHeader(name, value))
        // Size the body buffer once instead of growing it through many copies.
        if body.isEmpty, name.utf8.count == 14, name.lowercased() == "content-length", let length = Int(value),
            length > 0, length <= limit
        {
            body.reserveCapacity(length)
        }
    }

    /// The text of `bytes` without leading and trailing spaces, tabs, CR and LF, trimmed
    /// on the bytes (every header line of every response comes through here).
    static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        var start = bytes.startIndex
        var end = bytes.endIndex
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
