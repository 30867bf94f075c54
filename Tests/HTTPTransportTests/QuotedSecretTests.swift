import HTTPTransport
import Testing

@Suite("Secrets a server's text quotes")
struct QuotedSecretTests {
    @Test("Values after secret header and cookie names are redacted; other text is kept")
    func quotedSecrets() {
        let text =
            "refused; you sent Host: gws, Cookie: JSESSIONID=abc123; BAYEUX_BROWSER=b42, X-CSRF-TOKEN: t0k3n, "
            + "authorization:Basic Zm9v\nnext line"
        let redacted = HTTPHeader.redactingQuotedSecrets(in: text)
        #expect(
            redacted
                == "refused; you sent Host: gws, Cookie: [redacted]; BAYEUX_BROWSER=[redacted], "
                + "X-CSRF-TOKEN: [redacted], authorization:[redacted]\nnext line")
        #expect(HTTPHeader.redactingQuotedSecrets(in: "no secrets here, é ü") == "no secrets here, é ü")
        #expect(HTTPHeader.redactingQuotedSecrets(in: "cookie:") == "cookie:")
    }
}

@Suite("Header names a server may choose")
struct CustomHeaderNameTests {
    @Test("A custom name is a token that names no header HTTP gives a meaning of its own")
    func customNames() {
        #expect(HTTPHeader.isCustomName("X-CSRF-TOKEN"))
        #expect(HTTPHeader.isCustomName("X-Requested-With"))
        for reserved in [
            "Host", "content-length", "Cookie", "AUTHORIZATION", "Transfer-Encoding", "Proxy-Authorization",
        ] {
            #expect(!HTTPHeader.isCustomName(reserved), "\(reserved)")
        }
        #expect(!HTTPHeader.isCustomName("X-A\r\nHost"))
        #expect(!HTTPHeader.isCustomName(""))
    }
}
