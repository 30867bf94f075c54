#!/usr/bin/env python3
"""The fleet benchmark: one gws-agentd following N agents against gws-sim in its own process.

    scripts/fleet-bench.py [--daemon PATH] [--sim PATH] [--sizes 1000,5000,10000]
                           [--rates 100,500,1000,2000] [--seconds-per-rate 10] [--idle-seconds 30]
                           [--tls] [--threads N]

For each N, as a user would run it (release binaries, log level info, JSON lines on a file in
/dev/shm, state files on tmpfs):

  start     time from the daemon's exec to every agent's file saying connected and synced
            (default paced logins), and the daemon's CPU for it;
  idle      the daemon's share of one core over --idle-seconds, with the poll cycles
            (answered long polls, from gws-sim's counters) and heartbeats in the same time;
  memory    resident and private (Private_Clean + Private_Dirty of smaps_rollup) at idle; the
            slope over N (memory per agent) is printed once every size has run;
  rates     open-loop arrivals at each rate, round robin over the agents, each a state change
            made through gws-sim's control endpoint: CPU per notification (idle share
            subtracted) and latency p50/p99/p99.9 from the change sent to gws-sim to the
            agent's state file renamed in place (inotify, as a reader sees it);
  executor  the longest job the daemon's executor ran (start included) and how many ran
            over 20 ms, from the metrics file's gws_agentd_executor_job_seconds;
  stop      SIGTERM to exit, the daemon's CPU in that time (more than the time itself when
            both cores worked), and how many files say stopped.

With --tls the daemon reaches gws-sim over HTTPS, as it reaches GWS: scripts/tls-front.py (its
own processes, as few as the open-file limit allows, one event loop each) terminates TLS with
a certificate of a test CA made for the run (Tests/TLSFixture/tls_fixture.py pki) and relays
each connection to gws-sim; the daemon verifies the certificate against that CA appended to
the system's bundle (server.ca_file), so its certificate store is the size of a deployment's.
The TLS handshakes the front completed, and how many resumed a session, follow the tables.

The daemon shards the agents over agents.threads threads: by default the CPUs it may run on
(two here), or --threads N (1: every agent on one thread, as before sharding).

The daemon's CPU is its own (/proc/PID/stat); gws-sim shares the two cores, so the figures
are what a host running both would see. Writes a Markdown table to stdout.
"""
import argparse
import ctypes
import ctypes.util
import http.client
import json
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
IN_MOVED_TO = 0x80


def cpu_seconds(pid):
    """User plus system CPU of `pid`, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory(pid):
    """Resident, and private (Private_Clean + Private_Dirty), in bytes."""
    resident = private = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                resident = int(line.split()[1]) * 1024
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                private += int(line.split()[1]) * 1024
    return resident, private


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Renames:
    """The time of every rename into the state directory, per file name (inotify)."""

    def __init__(self, directory):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        self.fd = libc.inotify_init1(0)
        if self.fd < 0 or libc.inotify_add_watch(self.fd, directory.encode(), IN_MOVED_TO) < 0:
            sys.exit("fleet-bench: inotify is not available")
        self.lock = threading.Lock()
        self.seen = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            data = os.read(self.fd, 1 << 20)
            now = time.monotonic()
            offset = 0
            with self.lock:
                while offset < len(data):
                    _, _, _, length = struct.unpack_from("iIII", data, offset)
                    name = data[offset + 16 : offset + 16 + length].split(b"\0", 1)[0].decode()
                    self.seen.setdefault(name, []).append(now)
                    offset += 16 + length

    def first_after(self, name, instant):
        with self.lock:
            return next((t for t in self.seen.get(name, []) if t >= instant), None)


class Simulator:
    """gws-sim in its own process, and its control endpoint over one kept-alive connection."""

    def __init__(self, binary, agents, root):
        port_file = f"{root}/sim.port"
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--port-file", port_file, "--agents", str(agents), "--user", "bench-none:x"],
            stdout=open(f"{root}/sim.log", "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                sys.exit(f"fleet-bench: gws-sim did not start; see {root}/sim.log")
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def control(self, method, path, body=None):
        self.connection.request(method, "/sim/control/" + path, json.dumps(body) if body else None,
                                {"Content-Type": "application/json"})
        reply = self.connection.getresponse()
        data = reply.read()
        if reply.status != 200:
            sys.exit(f"fleet-bench: {path}: HTTP {reply.status} {data[:200]!r}")
        return json.loads(data) if data else None

    def stop(self):
        self.process.terminate()
        self.process.wait()


def synced(path):
    try:
        with open(path) as f:
            document = json.load(f)
        return document["connection"]["connected"] and document["agent"]["synced"]
    except (OSError, ValueError, KeyError):
        return False


class TLSFront:
    """scripts/tls-front.py in front of gws-sim, with a test CA made for the run."""

    def __init__(self, root, backend_port, agents):
        here = os.path.dirname(os.path.abspath(__file__))
        pki = f"{root}/pki"
        os.makedirs(pki)
        subprocess.run([sys.executable, f"{here}/../Tests/TLSFixture/tls_fixture.py", "pki", pki], check=True)
        # The daemon trusts the test CA within the system's bundle, so that the store libcurl
        # builds is as large as a deployment's (about 140 CAs on Debian 12), not one certificate.
        self.ca_file = f"{pki}/bundle.pem"
        with open(self.ca_file, "wb") as bundle:
            if os.path.exists(SYSTEM_CA_BUNDLE):
                bundle.write(open(SYSTEM_CA_BUNDLE, "rb").read())
            bundle.write(open(f"{pki}/ca.pem", "rb").read())
        port_file = f"{root}/front.port"
        # As few workers as the open-file limit allows: a worker's session tickets resume
        # only at that worker. Each agent holds two sockets of a worker, four while it stops.
        _, limit = resource.getrlimit(resource.RLIMIT_NOFILE)
        workers = max(1, -(-agents * 4 // (limit - 2000)))
        self.log = f"{root}/front.log"
        self.process = subprocess.Popen(
            [sys.executable, f"{here}/tls-front.py", f"{pki}/good.pem", f"{pki}/good.key", str(backend_port),
             port_file, str(workers)], stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if time.monotonic() > deadline or self.process.poll() is not None:
                sys.exit(f"fleet-bench: tls-front.py did not start; see {root}/front.log")
            time.sleep(0.05)
        self.port = int(open(port_file).read())

    def stop(self):
        """Stops the workers; returns the TLS handshakes they completed and how many resumed."""
        self.process.terminate()
        self.process.wait()
        total = resumed = 0
        with open(self.log) as f:
            for line in f:
                words = line.split()
                if len(words) == 4 and words[0] == "handshakes":
                    total += int(words[1])
                    resumed += int(words[3])
        return total, resumed


def run_size(args, agents):
    root = f"/dev/shm/fleet-bench-{os.getpid()}-{agents}"
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(f"{root}/agents")
    os.makedirs(f"{root}/state")
    for number in range(1, agents + 1):
        path = f"{root}/agents/agent{number}.password"
        with open(path, "w") as f:
            f.write("secret\n")
        os.chmod(path, 0o600)
    sim = Simulator(args.sim, agents, root)
    try:
        front = TLSFront(root, sim.port, agents) if args.tls else None
    except BaseException:
        sim.stop()
        raise
    server = (f"  url: https://127.0.0.1:{front.port}\n  ca_file: {front.ca_file}\n" if front
              else f"  url: http://127.0.0.1:{sim.port}\n")
    with open(f"{root}/config.yaml", "w") as f:
        threads = f"  threads: {args.threads}\n" if args.threads else ""
        f.write(f"server:\n{server}agents:\n  directory: {root}/agents\n{threads}"
                f"state:\n  directory: {root}/state\n  heartbeat_s: 10\nlog:\n  level: info\n  format: json\n"
                f"metrics:\n  textfile: {root}/metrics.prom\n")
    renames = Renames(f"{root}/state")
    started = time.monotonic()
    daemon = subprocess.Popen([args.daemon, "run", "--config", f"{root}/config.yaml"],
                              stdout=open(f"{root}/daemon.log", "w"), stderr=subprocess.STDOUT)
    result = {"agents": agents, "transport": "https" if front else "http"}
    try:
        pending = {f"{root}/state/agent{n}.json" for n in range(1, agents + 1)}
        while pending:
            if daemon.poll() is not None:
                sys.exit(f"fleet-bench: the daemon exited {daemon.returncode}; see {root}/daemon.log")
            if time.monotonic() - started > 300:
                sys.exit(f"fleet-bench: {len(pending)} of {agents} agents not synced after 300 s")
            pending = {path for path in pending if not synced(path)}
            if pending:
                time.sleep(0.25)
        result["start_s"] = time.monotonic() - started
        result["start_cpu_s"] = cpu_seconds(daemon.pid)

        time.sleep(5)
        polls_before = sim.control("GET", "counters").get("connects", None)
        cpu_before = cpu_seconds(daemon.pid)
        idle_started = time.monotonic()
        time.sleep(args.idle_seconds)
        wall = time.monotonic() - idle_started
        idle_share = (cpu_seconds(daemon.pid) - cpu_before) / wall
        counters = sim.control("GET", "counters")
        result["idle_percent"] = idle_share * 100
        result["idle_percent_per_1000"] = idle_share * 100 * 1000 / agents
        result["heartbeats_per_s"] = agents / 10
        if polls_before is not None:
            result["polls_per_s"] = (counters.get("connects", 0) - polls_before) / wall
        result["resident"], result["private"] = memory(daemon.pid)

        result["rates"] = []
        sequence = 0
        for rate in args.rates:
            count = int(rate * args.seconds_per_rate)
            sent = []
            cpu_before = cpu_seconds(daemon.pid)
            window_started = time.monotonic()
            for index in range(count):
                due = window_started + index / rate
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                number = sequence % agents + 1
                state = "Ready" if (sequence // agents) % 2 == 0 else "NotReady"
                sequence += 1
                at = time.monotonic()
                sim.control("POST", "operation", {"operation": state, "username": f"agent{number}"})
                sent.append((f"agent{number}.json", at))
            achieved = count / (time.monotonic() - window_started)
            deadline = time.monotonic() + 30
            latencies = []
            for name, at in sent:
                seen = None
                while seen is None and time.monotonic() < deadline:
                    seen = renames.first_after(name, at)
                    if seen is None:
                        time.sleep(0.01)
                if seen is not None:
                    latencies.append(seen - at)
            wall = time.monotonic() - window_started
            used = cpu_seconds(daemon.pid) - cpu_before - idle_share * wall
            result["rates"].append({
                "rate": rate, "achieved": achieved, "seen": len(latencies), "sent": count,
                "cpu_us": max(0.0, used) / count * 1e6,
                "p50_ms": percentile(latencies, 0.5) * 1e3, "p99_ms": percentile(latencies, 0.99) * 1e3,
                "p999_ms": percentile(latencies, 0.999) * 1e3,
            })
            time.sleep(2)

        # The executor's job histogram, from the metrics file the daemon writes every heartbeat.
        time.sleep(11)
        executor = {}
        with open(f"{root}/metrics.prom") as f:
            for line in f:
                if line.startswith("gws_agentd_executor_job_"):
                    name, value = line.rsplit(" ", 1)
                    executor[name] = float(value)
        total = executor.get('gws_agentd_executor_job_seconds_count', 0)
        result["executor_max_ms"] = executor.get("gws_agentd_executor_job_max_seconds", float("nan")) * 1e3
        result["executor_jobs"] = total
        result["executor_over_20ms"] = total - executor.get('gws_agentd_executor_job_seconds_bucket{le="0.02"}', 0)

        cpu_before_stop = cpu_seconds(daemon.pid)
        stop_started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        # Reaped here rather than by Popen, for the daemon's CPU to its exit (rusage).
        while True:
            pid, status, usage = os.wait4(daemon.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - stop_started > 120:
                daemon.kill()
                pid, status, usage = os.wait4(daemon.pid, 0)
                break
            time.sleep(0.01)
        daemon.returncode = os.waitstatus_to_exitcode(status)
        result["stop_s"] = time.monotonic() - stop_started
        result["stop_cpu_s"] = usage.ru_utime + usage.ru_stime - cpu_before_stop
        stopped = 0
        for number in range(1, agents + 1):
            try:
                with open(f"{root}/state/agent{number}.json") as f:
                    stopped += json.load(f)["connection"]["state"] == "stopped"
            except (OSError, ValueError, KeyError):
                pass
        result["stopped_files"] = stopped
    finally:
        if daemon.poll() is None:
            daemon.kill()
        if front:
            result["handshakes"], result["resumed"] = front.stop()
        sim.stop()
        shutil.rmtree(root, ignore_errors=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemon", default=".build/release/gws-agentd")
    parser.add_argument("--sim", default=".build/release/gws-sim")
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--rates", default="100,500,1000,2000")
    parser.add_argument("--seconds-per-rate", type=float, default=10)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--tls", action="store_true", help="reach gws-sim over HTTPS through scripts/tls-front.py")
    parser.add_argument("--threads", type=int, help="agents.threads (default: the CPUs the daemon may run on)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    args.rates = [int(r) for r in args.rates.split(",")]
    results = []
    for agents in [int(n) for n in args.sizes.split(",")]:
        print(f"fleet-bench: {agents} agents …", file=sys.stderr, flush=True)
        results.append(run_size(args, agents))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    print(f"Transport: {'HTTPS (scripts/tls-front.py, test CA)' if args.tls else 'plain HTTP'}; "
          f"agents.threads: {args.threads or 'default (the CPUs allowed)'}\n")
    print("| agents | all synced | CPU to sync | idle (% of a core) | per 1,000 | polls/s | heartbeats/s "
          "| resident | private | stop | CPU to stop | files stopped | longest job | jobs over 20 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['agents']:,} | {r['start_s']:.1f} s | {r['start_cpu_s']:.1f} s | {r['idle_percent']:.1f} % "
              f"| {r['idle_percent_per_1000']:.2f} % | {r.get('polls_per_s', float('nan')):.0f} "
              f"| {r['heartbeats_per_s']:.0f} | {r['resident'] / 1e6:.0f} MB | {r['private'] / 1e6:.0f} MB "
              f"| {r['stop_s']:.1f} s | {r['stop_cpu_s']:.1f} s | {r['stopped_files']:,} | {r['executor_max_ms']:.1f} ms "
              f"| {r['executor_over_20ms']:.0f} of {r['executor_jobs']:.0f} |")
    print()
    print("| agents | rate (sent) | CPU per notification | p50 | p99 | p99.9 | seen |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        for x in r["rates"]:
            print(f"| {r['agents']:,} | {x['rate']}/s ({x['achieved']:.0f}/s) | {x['cpu_us']:.0f} µs "
                  f"| {x['p50_ms']:.1f} ms | {x['p99_ms']:.1f} ms | {x['p999_ms']:.1f} ms | {x['seen']}/{x['sent']} |")
    if args.tls:
        print()
        for r in results:
            print(f"{r['agents']:,} agents: {r.get('handshakes', 0):,} TLS handshakes, "
                  f"{r.get('resumed', 0):,} of them resumed")
    if len(results) > 1:
        first, last = results[0], results[-1]
        slope = (last["private"] - first["private"]) / (last["agents"] - first["agents"])
        resident_slope = (last["resident"] - first["resident"]) / (last["agents"] - first["agents"])
        print(f"\nmemory per agent (slope from {first['agents']:,} to {last['agents']:,}): "
              f"{slope / 1024:.1f} KB private, {resident_slope / 1024:.1f} KB resident")


if __name__ == "__main__":
    main()
