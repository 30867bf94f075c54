import CCurl
import HTTPTransport

extension TransportError {
    /// The transport error for a failed libcurl transfer. `specific` is libcurl's error
    /// buffer (empty when it said nothing more than the code's generic text); resolution,
    /// connection and TLS failures are classified with ``ConnectionDiagnosis``.
    static func from(
        code: CURLcode, specific: String, endpoint: Endpoint, exceededLimit: Bool, limit: Int
    ) -> (TransportError, ConnectionDiagnosis?) {
        if exceededLimit || code == CURLE_FILESIZE_EXCEEDED { return (.responseTooLarge(limit: limit), nil) }
        let detail = specific.isEmpty ? String(cString: curl_easy_strerror(code)) : specific
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return (.timeout, nil)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            let cause: ConnectionDiagnosis.Cause =
                code == CURLE_COULDNT_RESOLVE_PROXY ? .proxyUnresolvable : .unresolvable
            let diagnosis = ConnectionDiagnosis(cause: cause, endpoint: endpoint, detail: detail)
            return (.resolve(diagnosis.description), diagnosis)
        case CURLE_COULDNT_CONNECT:
            // With a proxy, libcurl connects to the proxy only; the target's refusal comes
            // back as the proxy's answer to CONNECT.
            let cause: ConnectionDiagnosis.Cause
            if detail.contains("CONNECT tunnel failed") {
                cause = .proxyTunnelRefused
            } else if endpoint.proxy != nil {
                cause = .proxyRefused
            } else if detail.contains("unreachable") {
                cause = .unreachable
            } else {
                cause = .refused
            }
            let diagnosis = ConnectionDiagnosis(cause: cause, endpoint: endpoint, detail: detail)
            return (.connect(diagnosis.description), diagnosis)
        case CURLE_RECV_ERROR where detail.contains("CONNECT tunnel failed"):
            let diagnosis = ConnectionDiagnosis(cause: .proxyTunnelRefused, endpoint: endpoint, detail: detail)
            return (.connect(diagnosis.description), diagnosis)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM:
            return (.reset("\(detail) (\(endpoint))"), nil)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            let diagnosis = ConnectionDiagnosis.tls(detail: detail, endpoint: endpoint)
            return (.tls(diagnosis.description), diagnosis)
        default:
            return (.other("\(detail) (curl \(code.rawValue), \(endpoint))"), nil)
        }
    }
}
