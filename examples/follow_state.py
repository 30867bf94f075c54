#!/usr/bin/env python3
"""Follow an agent's state as gws-agentd publishes it: print one line per change.

    follow_state.py [STATE_FILE] [--count N]

STATE_FILE defaults to /run/gws-agentd/state.json. The reader needs only read access to the
file (the group gws-agentd-readers), and the Python standard library: it watches the
directory with inotify (through ctypes) for the file being renamed into place, as the
daemon writes it, then reads and parses it once. A watch on the file itself would die at
the first rename. With --count N it stops after N documents (for tests).

Each line: changed_at, seq, the agent's state (work mode, reason), since when, DND, and
whether the picture can be trusted now (connected and synced).
"""
import ctypes
import ctypes.util
import json
import os
import struct
import sys

IN_MOVED_TO, IN_CREATE, IN_DELETE, IN_CLOEXEC = 0x80, 0x100, 0x200, 0o2000000


def describe(document):
    agent, connection = document["agent"], document["connection"]
    details = ", ".join(filter(None, [agent.get("work_mode"), agent.get("reason")]))
    state = agent["state"] + (f" ({details})" if details else "")
    since = agent.get("state_since") or "unknown"
    dnd = {True: "on", False: "off", None: "unknown"}[agent.get("dnd")]
    live = connection["connected"] and agent["synced"]
    return (f'{document["changed_at"]} seq {document["seq"]} {agent["username"]}: {state} since {since}, '
            f'DND {dnd}, {"live" if live else "NOT live: " + connection["state"]}')


def read(path):
    """The document, or None when the file is missing or not one this reader knows."""
    try:
        with open(path, "rb") as file:
            document = json.load(file)
    except (OSError, ValueError):
        return None
    if document.get("schema") != 1:
        print(f"{path}: schema {document.get('schema')} is not 1; refusing to guess", file=sys.stderr)
        return None
    return document


def main():
    arguments = sys.argv[1:]
    count = None
    if "--count" in arguments:
        index = arguments.index("--count")
        count = int(arguments[index + 1])
        del arguments[index:index + 2]
    path = arguments[0] if arguments else "/run/gws-agentd/state.json"
    directory, name = os.path.split(os.path.abspath(path))

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    fd = libc.inotify_init1(IN_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, directory.encode(), IN_MOVED_TO | IN_CREATE | IN_DELETE) < 0:
        sys.exit(f"cannot watch {directory}: {os.strerror(ctypes.get_errno())}")

    shown = 0
    last_seq = None
    document = read(path)  # what is there already
    while True:
        if document is not None and (document["seq"], document["pid"]) != last_seq:
            last_seq = (document["seq"], document["pid"])
            print(describe(document), flush=True)
            shown += 1
            if count is not None and shown >= count:
                return
        document = None
        buffer = os.read(fd, 65536)
        offset = 0
        while offset < len(buffer):
            _, mask, _, length = struct.unpack_from("iIII", buffer, offset)
            event_name = buffer[offset + 16:offset + 16 + length].rstrip(b"\0").decode()
            offset += 16 + length
            if event_name == name and mask & IN_DELETE:
                print(f"{path} removed: the daemon stopped", flush=True)
            elif event_name == name:
                document = read(path)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
