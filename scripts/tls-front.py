#!/usr/bin/env python3
"""A TLS front for gws-sim, so that benchmarks reach it over HTTPS as they would GWS.

    scripts/tls-front.py CERT KEY BACKEND_PORT PORT_FILE [WORKERS]

Listens on 127.0.0.1 (a free port, written to PORT_FILE once it listens), terminates TLS
with CERT and KEY, and relays each connection's bytes both ways to 127.0.0.1:BACKEND_PORT
over a plain connection of its own. Each of WORKERS processes (default 4) has one event
loop and its own listening socket on the port (SO_REUSEPORT: the kernel spreads the
connections), so that 10,000 held long polls cost 20,000 sockets over the workers' open-file
limits, not 20,000 threads. Runs until SIGTERM, which it passes on to its workers.

It is a relay, not a proxy: it reads no HTTP, so keep-alive, long polls and the order of
bytes are the client's and gws-sim's. A connection whose other side closes is closed.
"""
import asyncio
import os
import resource
import signal
import socket
import ssl
import sys


# This worker's completed TLS handshakes, and how many of them resumed a session; printed
# at SIGTERM (a worker's own session tickets do not resume at another worker).
HANDSHAKES = {"all": 0, "resumed": 0}


class Backend(asyncio.Protocol):
    """The plain connection to gws-sim: what it sends goes to the TLS client."""

    def __init__(self, client):
        self.client = client

    def data_received(self, data):
        self.client.write(data)

    def connection_lost(self, exc):
        self.client.close()


class Client(asyncio.Protocol):
    """One TLS connection from the daemon. Reading waits until its backend is connected."""

    def __init__(self, backend_port):
        self.backend_port = backend_port
        self.transport = None
        self.backend = None
        self.closed = False
        # The event loop keeps only a weak reference to a task: this one holds it.
        self.connecting = None

    def connection_made(self, transport):
        self.transport = transport
        HANDSHAKES["all"] += 1
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.session_reused:
            HANDSHAKES["resumed"] += 1
        transport.pause_reading()
        self.connecting = asyncio.get_running_loop().create_task(self.connect())

    async def connect(self):
        loop = asyncio.get_running_loop()
        try:
            backend, _ = await loop.create_connection(lambda: Backend(self.transport), "127.0.0.1",
                                                      self.backend_port)
        except OSError:
            self.transport.close()
            return
        if self.closed:
            backend.close()
            return
        self.backend = backend
        self.transport.resume_reading()

    def data_received(self, data):
        if self.backend is not None:
            self.backend.write(data)

    def connection_lost(self, exc):
        self.closed = True
        if self.backend is not None:
            self.backend.close()


def listener(port):
    """A listening socket on 127.0.0.1:`port` that other workers may bind as well."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(4096)
    return sock


async def serve(sock, certificate, key, backend_port, workers):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Client(backend_port), sock=sock, ssl=context)
    stopped = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stopped.set_result, None)
    await stopped
    print(f"handshakes {HANDSHAKES['all']} resumed {HANDSHAKES['resumed']}", flush=True)
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
    server.close()


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    certificate, key, backend_port, port_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    count = int(sys.argv[5]) if len(sys.argv) == 6 else 4
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    first = listener(0)
    port = first.getsockname()[1]
    workers = []
    for _ in range(count - 1):
        pid = os.fork()
        if pid == 0:
            first.close()
            asyncio.run(serve(listener(port), certificate, key, backend_port, []))
            os._exit(0)
        workers.append(pid)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(port_file + ".tmp", port_file)
    asyncio.run(serve(first, certificate, key, backend_port, workers))
    for pid in workers:
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
