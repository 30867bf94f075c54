#!/usr/bin/env python3
"""Misbehaving clients of the daemon's control socket, for make test-system.

  socket-client.py flood PATH MEGABYTES   bad lines ("1\\n"), never reading a reply; says
                                          how many bytes went before the daemon dropped it
  socket-client.py idle PATH COUNT        COUNT silent connections, held until stdin closes
  socket-client.py unknown PATH COUNT     COUNT requests with an unknown op, replies read

Each prints one line of JSON with what happened, and exits 0 unless it could not connect.
"""
import json
import select
import socket
import sys
import time


def connect(path):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    return client


def flood(path, megabytes):
    client = connect(path)
    client.settimeout(120)
    chunk = b"1\n" * 32768
    sent, total = 0, megabytes << 20
    started = time.monotonic()
    ended = "all sent"
    try:
        while sent < total:
            sent += client.send(chunk[: min(len(chunk), total - sent)])
    except (BrokenPipeError, ConnectionResetError):
        ended = "dropped"
    except socket.timeout:
        ended = "blocked"
    return {"sent": sent, "ended": ended, "seconds": round(time.monotonic() - started, 1)}


def idle(path, count):
    clients = [connect(path) for _ in range(count)]
    print(json.dumps({"open": len(clients)}), flush=True)
    sys.stdin.read()
    alive = 0
    for client in clients:
        client.setblocking(False)
        try:
            alive += client.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    return {"held": count, "still_open": alive}


def unknown(path, count):
    client = connect(path)
    client.setblocking(False)
    pending = b"".join(b'{"v":1,"id":%d,"op":"no-such-op"}\n' % n for n in range(count))
    replies, buffered = 0, b""
    deadline = time.monotonic() + 120
    while replies < count and time.monotonic() < deadline:
        readable, writable, _ = select.select([client], [client] if pending else [], [], 1)
        if writable:
            pending = pending[client.send(pending[:65536]) :]
        if readable:
            data = client.recv(1 << 16)
            if not data:
                break
            buffered += data
            replies += buffered.count(b"\n")
            buffered = buffered[buffered.rfind(b"\n") + 1 :]
    return {"sent": count, "replies": replies}


def main():
    mode, path, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = {"flood": flood, "idle": idle, "unknown": unknown}[mode](path, number)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
