import CCurl
import HTTPTransport

extension TransportError {
    /// The transport error for a failed libcurl transfer.
    static func from(code: CURLcode, exceededLimit: Bool, limit: Int) -> TransportError {
        if exceededLimit || code == CURLE_FILESIZE_EXCEEDED { return .responseTooLarge(limit: limit) }
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .resolve(detail)
        case CURLE_COULDNT_CONNECT:
            return .connect(detail)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return .reset(detail)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .tls(detail)
        default:
            return .other("\(detail) (curl \(code.rawValue))")
        }
    }
}
