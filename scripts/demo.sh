#!/usr/bin/env bash
# make demo: gws-sim with scripted agent activity, gws-agentd against it, and
# `gws-agentd status --watch` for about 30 s (or until Ctrl-C). Stops all it started.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-release}
bin=.build/$configuration
sim=${2:-$bin/gws-sim}
seconds=${DEMO_SECONDS:-30}
work=$(mktemp -d /tmp/gws-agentd-demo.XXXXXX)
sim_pid= daemon_pid=

cleanup() {
  trap - EXIT INT TERM
  [ -n "$daemon_pid" ] && kill -TERM "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "interrupted"; exit 130' INT TERM

"$sim" --port 0 --port-file "$work/port" --user agent1:demo-secret --scripted-activity 3 \
  --timeout 25 > "$work/sim.log" 2>&1 &
sim_pid=$!
# Readiness is the port file; the bound is generous (a loaded machine starts it late).
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "gws-sim did not start:"; cat "$work/sim.log"; exit 1; }
port=$(cat "$work/port")

mkdir -m 0750 "$work/run"
printf 'demo-secret\n' > "$work/password"
chmod 0600 "$work/password"
cat > "$work/config.yaml" <<YAML
server:
  url: http://127.0.0.1:$port
  username: agent1
  password_file: $work/password
state:
  file: $work/run/state.json
  heartbeat_s: 5
log:
  format: text
  level: info
metrics:
  textfile: $work/run/gws_agentd.prom
YAML

echo "gws-sim:    http://127.0.0.1:$port (agent1 changes state every 3 s and takes a call)"
"$bin/gws-agentd" run --config "$work/config.yaml" 2> "$work/daemon.log" &
daemon_pid=$!
echo "gws-agentd: pid $daemon_pid, state file $work/run/state.json"
echo "streaming 'gws-agentd status --watch' for $seconds s (Ctrl-C stops everything)"
echo
timeout "$seconds" "$bin/gws-agentd" status --watch --state-file "$work/run/state.json" || true
echo
echo "--- gws-agentd status ---"
"$bin/gws-agentd" status --state-file "$work/run/state.json" || true
echo
echo "--- the daemon's log (last 8 lines) ---"
tail -n 8 "$work/daemon.log"
