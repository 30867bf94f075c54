#!/usr/bin/env python3
"""TLS servers with broken certificates, for the tests of how gws-agentd names TLS failures.

    tls_fixture.py pki DIR
        writes DIR/ca.pem and, signed by it unless said, a certificate and key for 127.0.0.1
        per case: good, expired (ended 2 days ago), future (starts in 5 days), othername
        (for gws.example.test and gws2.example.test only), selfsigned (signed by itself).
        Also client.pem/client.key: a client certificate signed by the CA, for mutual TLS.
    tls_fixture.py serve CERT KEY [FORWARD_PORT [CLIENT_CA]]
        listens on 127.0.0.1 (a free port, printed on the first line of stdout) and
        terminates TLS with CERT; forwards each connection to 127.0.0.1:FORWARD_PORT, or
        without one answers every request with 200 {"tls":true}. With CLIENT_CA, a client
        must present a certificate that CA signed (mutual TLS). Runs until killed.
"""
import datetime
import ipaddress
import socket
import ssl
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_pki(directory):
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def save(prefix, certificate, key):
        with open(f"{directory}/{prefix}.pem", "wb") as out:
            out.write(certificate.public_bytes(serialization.Encoding.PEM))
        with open(f"{directory}/{prefix}.key", "wb") as out:
            out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("gws-agentd test CA")).issuer_name(name("gws-agentd test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - 30 * day).not_valid_after(now + 30 * day)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    save("ca", ca, ca_key)
    loopback = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    other = [x509.DNSName("gws.example.test"), x509.DNSName("gws2.example.test")]
    cases = {
        "good": (loopback, -day, 10 * day, False),
        "expired": (loopback, -10 * day, -2 * day, False),
        "future": (loopback, 5 * day, 10 * day, False),
        "othername": (other, -day, 10 * day, False),
        "selfsigned": (loopback, -day, 10 * day, True),
        "client": ([x509.DNSName("agent.example.test")], -day, 10 * day, False),
    }
    for prefix, (names, start, end, self_signed) in cases.items():
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(prefix)).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now + start).not_valid_after(now + end)
                   .add_extension(x509.SubjectAlternativeName(names), critical=False))
        if self_signed:
            certificate = builder.issuer_name(name(prefix)).sign(key, hashes.SHA256())
        else:
            certificate = builder.issuer_name(ca.subject).sign(ca_key, hashes.SHA256())
        save(prefix, certificate, key)


def pipe(source, destination):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, destination):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def answer(connection):
    try:
        connection.recv(65536)
        body = b'{"tls":true}'
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                           + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    except OSError:
        pass
    finally:
        connection.close()


def serve(certificate, key, forward_port, client_ca=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)

    def handle(raw):
        try:
            connection = context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        if forward_port is None:
            answer(connection)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", forward_port))
        except OSError:
            connection.close()
            return
        threading.Thread(target=pipe, args=(connection, upstream), daemon=True).start()
        pipe(upstream, connection)

    while True:
        raw, _ = listener.accept()
        threading.Thread(target=handle, args=(raw,), daemon=True).start()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "pki":
        make_pki(sys.argv[2])
    elif len(sys.argv) in (4, 5, 6) and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) >= 5 else None,
              sys.argv[5] if len(sys.argv) == 6 else None)
    else:
        sys.exit(__doc__)
