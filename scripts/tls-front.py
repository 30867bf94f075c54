#!/usr/bin/env python3
"""A TLS front for gws-sim, so that benchmarks reach it over HTTPS as they would GWS.

    scripts/tls-front.py CERT KEY BACKEND_PORT PORT_FILE

Listens on 127.0.0.1 (a free port, written to PORT_FILE once it listens), terminates TLS
with CERT and KEY, and relays each connection's bytes both ways to 127.0.0.1:BACKEND_PORT
over a plain connection of its own. One thread and one event loop for every connection, so
that 10,000 held long polls cost 20,000 sockets, not 20,000 threads. Runs until SIGTERM.

It is a relay, not a proxy: it reads no HTTP, so keep-alive, long polls and the order of
bytes are the client's and gws-sim's. A connection whose other side closes is closed.
"""
import asyncio
import os
import resource
import signal
import ssl
import sys


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

    def connection_made(self, transport):
        self.transport = transport
        transport.pause_reading()
        asyncio.get_running_loop().create_task(self.connect())

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


async def serve(certificate, key, backend_port, port_file):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Client(backend_port), "127.0.0.1", 0, ssl=context, backlog=4096)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    stopped = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stopped.set_result, None)
    await stopped
    server.close()


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    # Two sockets per relayed connection, and a stop opens a second connection per agent.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(hard, 65536), max(hard, 65536)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))


if __name__ == "__main__":
    main()
