#!/usr/bin/env bash
# make test-system: the .deb under a real systemd.
#
# A minimal Debian 12 root (debootstrap from the mirror this machine's apt uses, cached in
# .build-system/), the release .deb installed in it with apt (which resolves its Depends:
# line), booted with systemd-nspawn (systemd 252 as PID 1), gws-sim on the host's loopback.
# Each check below is a named step; the output is the checklist docs/deployment.md points
# to. Needs root, systemd-nspawn and debootstrap; otherwise it says why it skipped.
#
# Usage: scripts/test-system.sh DEB GWS_SIM_BINARY
#        scripts/test-system.sh --can-run   (exit 1, saying why, when it cannot run here)
# KEEP=1 leaves the container running for a look (nsenter -t PID1 -a).
set -euo pipefail
cd "$(dirname "$0")/.."

# preflight: true when this machine can boot the container; otherwise says why.
preflight() {
  local why=
  if [ "$(id -u)" != 0 ]; then why="it needs root (systemd-nspawn boots a container)"
  elif ! command -v systemd-nspawn >/dev/null; then why="systemd-nspawn is missing (Debian package systemd-container)"
  elif ! command -v debootstrap >/dev/null; then why="debootstrap is missing"
  elif [ -e /run/host/container-manager ]; then why="this machine is itself a container"
  fi
  [ -z "$why" ] && return 0
  echo "test-system: SKIPPED: $why"
  return 1
}
if [ "${1:-}" = --can-run ]; then preflight; exit; fi
deb=${1:?usage: test-system.sh DEB GWS_SIM_BINARY}
sim=${2:?usage: test-system.sh DEB GWS_SIM_BINARY}
preflight || exit 0

started=$(date +%s)
cache=$PWD/.build-system
base=$cache/bookworm
work=$(mktemp -d "$cache/run.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache/run.XXXXXX"; })
machine=gws-test-$$
sim_pid=
nspawn_pid=
failures=0
checks=0

# cleanup: stops the container and gws-sim; the script's exit status is kept (set -e must not
# turn the simulator's SIGTERM status into the script's).
cleanup() {
  local status=$?
  set +e
  if [ -n "${KEEP:-}" ]; then echo "test-system: KEEP set: the container (PID 1: ${pid1:-?}) and $work are left running"; exit $status; fi
  if [ -n "${pid1:-}" ] && [ -d "/proc/$pid1" ]; then
    nsenter -t "$pid1" -m -u -i -n -p -- systemctl poweroff --no-block >/dev/null 2>&1 || true
  fi
  if [ -n "$nspawn_pid" ]; then
    for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$nspawn_pid" 2>/dev/null || true
    wait "$nspawn_pid" 2>/dev/null || true
  fi
  for pid in $sim_pid ${sim2_pid:-}; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

ok() { checks=$((checks + 1)); echo "  ok    $*"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "  FAIL  $*"; }
# in: run a command inside the booted container (its namespaces, as root).
inside() { nsenter -t "$pid1" -m -u -i -n -p -- "$@"; }
# within SECONDS CONDITION…: true once the condition holds, false after the deadline.
within() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
show() { inside systemctl show -P "$2" "$1"; }
state_of() { inside cat "$1" 2>/dev/null; }

# --- the root, cached between runs ------------------------------------------------------
if [ ! -e "$base/.complete" ]; then
  mirror=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null || true) |
    sed -n 's/^URIs: *\([^ ]*\).*/\1/p; s/^deb  *\(\[[^]]*\] *\)\{0,1\}\(http[^ ]*\) .*/\2/p' | grep -v security | head -1 || true)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  echo "test-system: making a Debian 12 root from $mirror (cached in $base)"
  rm -rf "$base.partial"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$base.partial" "$mirror" \
    > "$cache/debootstrap.log" 2>&1 || { tail -20 "$cache/debootstrap.log"; echo "test-system: debootstrap failed"; exit 1; }
  # apt in the container reads the same mirror, with the host's apt settings (a snapshot
  # mirror, for instance, needs its Valid-Until check off).
  echo "deb $mirror bookworm main" > "$base.partial/etc/apt/sources.list"
  cp -n /etc/apt/apt.conf.d/* "$base.partial/etc/apt/apt.conf.d/" 2>/dev/null || true
  touch "$base.partial/.complete"
  rm -rf "$base"
  mv "$base.partial" "$base"
fi
cp -a "$base" "$work/root"
cp "$deb" "$work/root/var/tmp/gws-agentd.deb"

# --- gws-sim on the host's loopback -----------------------------------------------------
"$sim" --port 0 --port-file "$work/port" --timeout 5 --user agent1:pw-one --user agent2:pw-two --user agent3:pw-three \
  > "$work/sim.log" 2>&1 &
sim_pid=$!
within 20 test -s "$work/port" || { cat "$work/sim.log"; echo "test-system: gws-sim did not start"; exit 1; }
port=$(cat "$work/port")

# --- boot -------------------------------------------------------------------------------
echo "test-system: booting $machine (systemd-nspawn, $(systemd-nspawn --version | head -1))"
systemd-nspawn --quiet --register=no --keep-unit --console=pipe -M "$machine" -D "$work/root" --boot \
  > "$work/console.log" 2>&1 &
nspawn_pid=$!
pid1=
find_pid1() {
  local child
  for child in $(ps -o pid= --ppid "$nspawn_pid"); do
    if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = systemd ]; then pid1=$child; return 0; fi
  done
  return 1
}
within 30 find_pid1 || { cat "$work/console.log"; echo "test-system: the container did not boot"; exit 1; }
booted() { case "$(inside systemctl is-system-running 2>/dev/null)" in running | degraded) return 0 ;; *) return 1 ;; esac; }
within 60 booted || { inside systemctl --failed --no-pager || true; echo "test-system: systemd did not finish booting"; exit 1; }
echo "test-system: $(inside systemctl --version | head -1) is PID 1 in the container"

# --- install with apt, so that it resolves the package's Depends ------------------------
echo "step: install"
if inside sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /var/tmp/gws-agentd.deb' \
  > "$work/apt.log" 2>&1; then
  ok "apt installs the .deb and resolves its Depends ($(inside dpkg-query -W -f '${Depends}' gws-agentd))"
else
  tail -20 "$work/apt.log"
  bad "apt could not install the .deb"
  exit 1
fi
for group in gws-agentd-readers gws-agentd-operators; do
  if inside getent group "$group" >/dev/null; then ok "postinst made the group $group"; else bad "no group $group"; fi
done
if inside getent passwd gws-agentd | grep -q ':/usr/sbin/nologin$'; then ok "postinst made the system user gws-agentd (no login shell)"
else bad "no system user gws-agentd: $(inside getent passwd gws-agentd)"; fi

configure() { # NAME USERNAME PASSWORD [EXTRA YAML]
  inside sh -c "cat > /etc/gws-agentd/$1.yaml" <<YAML
server:
  url: http://127.0.0.1:$port
  username: $2
state:
  heartbeat_s: 2
log:
  level: info
${4:-}
YAML
  printf '%s\n' "$3" | inside sh -c "umask 077; cat > /etc/gws-agentd/$1.password"
}
configure config agent1 pw-one "metrics:
  textfile: /run/gws-agentd/gws_agentd.prom"
inside sh -c 'mv /etc/gws-agentd/config.password /etc/gws-agentd/password'
# The watchdog pings at half WatchdogSec: 4 s here so that the check takes seconds, not 15.
inside mkdir -p /etc/systemd/system/gws-agentd.service.d
inside sh -c 'printf "[Service]\nWatchdogSec=4s\n" > /etc/systemd/system/gws-agentd.service.d/test.conf'
inside systemctl daemon-reload

# --- start --------------------------------------------------------------------------------
echo "step: start"
synced() { state_of "$1" | grep -q '"connected":true' && state_of "$1" | grep -q '"synced":true'; }
if inside systemctl start gws-agentd.service; then
  [ "$(show gws-agentd ActiveState)" = active ] && ok "gws-agentd.service is active (READY=1 came: Type=notify)" ||
    bad "gws-agentd.service is $(show gws-agentd ActiveState)"
else
  bad "systemctl start gws-agentd.service failed"; inside journalctl -u gws-agentd --no-pager | tail -20
fi
status_connected() { show gws-agentd StatusText | grep -q '^connected, '; }
if within 30 status_connected; then ok "STATUS= says: $(show gws-agentd StatusText)"; else bad "STATUS= says: $(show gws-agentd StatusText)"; fi
if within 30 synced /run/gws-agentd/state.json; then ok "/run/gws-agentd/state.json: connected and synced"; else bad "no synced state file"; fi
if within 10 inside test -s /run/gws-agentd/gws_agentd.prom; then ok "metrics in /run/gws-agentd/gws_agentd.prom"; else bad "no metrics file"; fi
if [ "$(inside stat -c '%a %G' /run/gws-agentd/control.sock 2>/dev/null)" = "660 gws-agentd-operators" ]; then
  ok "the control socket: /run/gws-agentd/control.sock, 0660, group gws-agentd-operators"
else
  bad "the control socket: $(inside stat -c '%a %G' /run/gws-agentd/control.sock 2>&1)"
fi

# --- the watchdog -------------------------------------------------------------------------
echo "step: the watchdog"
first=$(show gws-agentd WatchdogTimestampMonotonic)
advanced() { [ "$(show gws-agentd WatchdogTimestampMonotonic)" -gt "$first" ]; }
if [ "$first" -gt 0 ] && within 10 advanced; then ok "WatchdogTimestamp advances ($(show gws-agentd WatchdogUSec) watchdog)"
else bad "WatchdogTimestamp does not advance ($first)"; fi

# --- reload -------------------------------------------------------------------------------
echo "step: reload"
pid=$(show gws-agentd MainPID)
inside sed -i 's/heartbeat_s: 2/heartbeat_s: 3/' /etc/gws-agentd/config.yaml
if inside systemctl reload gws-agentd.service && state_of /run/gws-agentd/state.json | grep -q '"heartbeat_s":3'; then
  ok "systemctl reload waits: heartbeat_s 3 is in the state file when it returns"
else
  bad "systemctl reload did not apply the change synchronously"
fi
inside cp /etc/gws-agentd/config.yaml /tmp/config.good
inside sh -c 'echo "server: [broken" > /etc/gws-agentd/config.yaml'
if inside systemctl reload gws-agentd.service 2>/dev/null; then
  bad "systemctl reload succeeded with an invalid configuration"
elif [ "$(show gws-agentd ActiveState)" = active ] && [ "$(show gws-agentd MainPID)" = "$pid" ] &&
  within 10 synced /run/gws-agentd/state.json; then
  ok "an invalid configuration fails the reload; the daemon runs on (pid $pid), synced"
else
  bad "after a refused reload the unit is $(show gws-agentd ActiveState), pid $(show gws-agentd MainPID)"
fi
inside cp /tmp/config.good /etc/gws-agentd/config.yaml

# --- who may read and use what -------------------------------------------------------------
echo "step: permissions"
inside useradd --no-create-home --groups gws-agentd-readers reader
inside useradd --no-create-home --groups gws-agentd-operators opsuser
inside useradd --no-create-home stranger
as() { local user=$1; shift; inside runuser -u "$user" -- "$@"; }
as reader cat /run/gws-agentd/state.json >/dev/null 2>&1 && ok "a member of gws-agentd-readers reads the state file" ||
  bad "a reader cannot read the state file"
as stranger cat /run/gws-agentd/state.json >/dev/null 2>&1 && bad "another user reads the state file" ||
  ok "another user cannot read the state file"
leaks=0
for user in reader opsuser stranger; do
  for secret in /etc/gws-agentd/password "/run/credentials/gws-agentd.service/gws-password"; do
    as "$user" cat "$secret" >/dev/null 2>&1 && { leaks=1; bad "$user reads $secret"; }
  done
done
[ $leaks = 0 ] && ok "the password (file and credential) is readable by no one but the service"
as opsuser gws-agentd reload >/dev/null 2>&1 && ok "a member of gws-agentd-operators uses the control socket (reload)" ||
  bad "an operator cannot use the control socket"
status=0
as stranger gws-agentd reload >/dev/null 2>&1 || status=$?
[ $status = 77 ] && ok "another user is refused by the control socket (exit 77)" || bad "another user got exit $status from reload"
# The documented deployment: the password is a credential only the service reads, and an
# operator changes the agent's state through the daemon.
if as opsuser gws-agentd set dnd-on --wait --timeout 20 > "$work/set.out" 2>&1 &&
  grep -q "confirmed by the daemon's notifications: agent1 .*DND on" "$work/set.out" &&
  as opsuser gws-agentd set dnd-off --wait --timeout 20 >/dev/null 2>&1; then
  ok "an operator sets DND on and off with --wait through the daemon, with no password"
else
  cat "$work/set.out"
  bad "an operator could not set DND through the daemon"
fi
if as opsuser gws-agentd check-config --online > "$work/check.out" 2>&1 && grep -q "the running daemon (pid" "$work/check.out"; then
  ok "check-config --online as an operator: through the daemon"
else
  cat "$work/check.out"
  bad "check-config --online failed for an operator"
fi
inside journalctl -u gws-agentd -o json --no-pager | grep '"MESSAGE":"control: set DoNotDisturbOn' |
  grep -q '"PEER_UID":"' && ok "the journal records the operator's set with the caller's uid" ||
  bad "no journal entry for the operator's set"

# --- hooks ---------------------------------------------------------------------------------
# gws-agentd-hooks.service runs the example hook once per change, as a user of its own.
echo "step: hooks"
install -D -m 0755 examples/hooks/10-log-change "$work/root/etc/gws-agentd/hooks.d/10-log-change"
inside systemctl start gws-agentd-hooks.service
hooks_following() { inside journalctl -u gws-agentd-hooks -o cat --no-pager | grep -q 'following 1 state file'; }
within 30 hooks_following || bad "gws-agentd-hooks.service: $(inside journalctl -u gws-agentd-hooks -n 5 -o cat --no-pager | paste -sd'|')"
as opsuser gws-agentd set dnd-on --wait --timeout 20 >/dev/null 2>&1 || true
as opsuser gws-agentd set dnd-off --wait --timeout 20 >/dev/null 2>&1 || true
changes() { inside cat /var/lib/gws-agentd-hooks/changes.log 2>/dev/null; }
hooked() { changes | grep -q ' agent1 .*/off -> .*/on ' && changes | grep -q ' agent1 .*/on -> .*/off '; }
if within 30 hooked && ! changes | grep -q ' uid=0$' &&
  [ "$(inside stat -c %a /etc/gws-agentd/hooks.d/10-log-change)" = 755 ]; then
  ok "gws-agentd-hooks.service ran the example hook for DND on and off, in order, not as root"
else
  bad "the hooks unit: $(changes | tail -3 | paste -sd'|'); $(inside journalctl -u gws-agentd-hooks -n 5 -o cat --no-pager | paste -sd'|')"
fi
inside systemctl stop gws-agentd-hooks.service

# --- a crash is restarted; stop is clean ------------------------------------------------------
echo "step: crash and stop"
pid=$(show gws-agentd MainPID)
inside sh -c "kill -SEGV $pid"
restarted() { local now; now=$(show gws-agentd MainPID); [ "$now" != 0 ] && [ "$now" != "$pid" ] && [ "$(show gws-agentd ActiveState)" = active ]; }
if within 30 restarted; then ok "SIGSEGV: restarted (NRestarts $(show gws-agentd NRestarts), new pid $(show gws-agentd MainPID))"
else bad "not restarted after SIGSEGV: $(show gws-agentd ActiveState)"; fi
within 30 synced /run/gws-agentd/state.json || bad "not synced after the restart"

# --- the watchdog's verdicts: an unreachable server is not a fault, a wedged daemon is ------
echo "step: watchdog verdicts"
pid=$(show gws-agentd MainPID)
restarts=$(show gws-agentd NRestarts)
inside cp /etc/gws-agentd/config.yaml /tmp/config.reachable
inside sed -i "s|url: http://127.0.0.1:$port|url: http://127.0.0.1:1|" /etc/gws-agentd/config.yaml
inside systemctl reload gws-agentd.service
unreachable() { state_of /run/gws-agentd/state.json | grep -q '"connected":false'; }
within 20 unreachable || bad "the state file does not say unreachable"
first=$(show gws-agentd WatchdogTimestampMonotonic)
kept=1
# Three watchdog intervals (4 s) with GWS unreachable: the same process throughout.
for _ in $(seq 12); do
  [ "$(show gws-agentd MainPID)" = "$pid" ] || kept=0
  sleep 1
done
if [ $kept = 1 ] && [ "$(show gws-agentd NRestarts)" = "$restarts" ] && advanced; then
  ok "GWS unreachable for 3 watchdog intervals: pinged on, not restarted (pid $pid)"
else
  bad "an unreachable GWS restarted the daemon (pid $(show gws-agentd MainPID), NRestarts $(show gws-agentd NRestarts))"
fi
inside cp /tmp/config.reachable /etc/gws-agentd/config.yaml
inside systemctl reload gws-agentd.service
within 30 synced /run/gws-agentd/state.json || bad "not synced after GWS came back"
inside sh -c "kill -STOP $pid"
if within 30 restarted; then ok "a wedged daemon (SIGSTOP): the watchdog restarted it (new pid $(show gws-agentd MainPID))"
else bad "a wedged daemon was not restarted: $(show gws-agentd ActiveState)"; fi
within 30 synced /run/gws-agentd/state.json || bad "not synced after the watchdog restart"

# --- template instances beside the single unit ------------------------------------------
echo "step: template instances"
configure agent2 agent2 pw-two "metrics:
  textfile: /run/gws-agentd@agent2/gws_agentd.prom"
configure agent3 agent3 pw-three
inside systemctl start gws-agentd@agent2.service && within 30 synced /run/gws-agentd@agent2/state.json &&
  ok "gws-agentd@agent2 starts beside gws-agentd.service" || bad "gws-agentd@agent2 beside gws-agentd.service: $(show gws-agentd@agent2 ActiveState)"
within 10 inside test -s /run/gws-agentd@agent2/gws_agentd.prom &&
  ok "gws-agentd@agent2 writes its metrics in its own runtime directory under ProtectSystem=strict" ||
  bad "no metrics for gws-agentd@agent2"
inside systemctl stop gws-agentd.service
inside systemctl start gws-agentd@agent3.service && within 30 synced /run/gws-agentd@agent3/state.json &&
  ok "gws-agentd@agent3 starts after gws-agentd.service ran and stopped" || bad "gws-agentd@agent3: $(show gws-agentd@agent3 ActiveState)"
inside test -e /run/gws-agentd@agent2/state.json && ok "stopping gws-agentd.service left gws-agentd@agent2's files alone" ||
  bad "stopping gws-agentd.service removed gws-agentd@agent2's files"
inside systemctl restart gws-agentd@agent2.service && inside systemctl start gws-agentd.service &&
  within 30 synced /run/gws-agentd/state.json && within 30 synced /run/gws-agentd@agent2/state.json &&
  within 30 synced /run/gws-agentd@agent3/state.json && ok "all three run together, in any order" ||
  bad "not all three run: $(show gws-agentd ActiveState) $(show gws-agentd@agent2 ActiveState) $(show gws-agentd@agent3 ActiveState)"

# --- several agents in one daemon, and the local trust boundary -----------------------------
echo "step: several agents and the trust boundary"
inside systemctl stop gws-agentd@agent2.service gws-agentd@agent3.service
inside groupadd team-a
inside useradd --no-create-home --groups gws-agentd-operators,team-a opsa
# The recipe of docs/deployment.md: password files 0640 root:gws-agentd, no credential.
inside install -d -m 0750 -o root -g gws-agentd /etc/gws-agentd/agents.d
for pair in agent1:pw-one agent2:pw-two agent3:pw-three; do
  printf '%s\n' "${pair#*:}" | inside install -m 0640 -o root -g gws-agentd /dev/stdin "/etc/gws-agentd/agents.d/${pair%%:*}.password"
done
inside sh -c "cat > /etc/gws-agentd/config.yaml" <<YAML
server:
  url: http://127.0.0.1:$port
agents:
  directory: /etc/gws-agentd/agents.d
  login_jitter_ms: 0
state:
  heartbeat_s: 2
control:
  operator_groups: ["team-a: agent1"]
YAML
inside rm /etc/gws-agentd/password
inside sh -c 'printf "[Service]\nLoadCredential=\n" > /etc/systemd/system/gws-agentd.service.d/agents.conf'
inside systemctl daemon-reload
all_synced() { for n in 1 2 3; do synced /run/gws-agentd/agent$n.json || return 1; done; }
if inside systemctl restart gws-agentd.service && within 30 all_synced; then
  ok "the several-agents recipe (password files 0640 root:gws-agentd): agent1, agent2 and agent3 synced"
else
  bad "the several-agents recipe: $(show gws-agentd ActiveState); $(inside journalctl -u gws-agentd -n 5 -o cat --no-pager | paste -sd'|')"
fi
leaks=0
for user in reader opsuser opsa stranger; do
  as "$user" cat /etc/gws-agentd/agents.d/agent1.password >/dev/null 2>&1 && { leaks=1; bad "$user reads agent1's password"; }
done
[ $leaks = 0 ] && ok "the agents' password files are readable by no reader, operator or other user"

# Operators: a non-root operator's set is audited under the operator's own uid; an
# operator outside an agent's group is refused for that agent.
opsa_uid=$(inside id -u opsa)
if as opsa gws-agentd set ready --agent agent1 --wait --timeout 20 > "$work/opsa.out" 2>&1 &&
  inside journalctl -u gws-agentd PEER_UID="$opsa_uid" -o cat --no-pager | grep -q '^control: set Ready'; then
  ok "a non-root operator's set is in the journal under PEER_UID=$opsa_uid (journalctl PEER_UID=$opsa_uid)"
else
  cat "$work/opsa.out"; bad "no journal entry with PEER_UID=$opsa_uid for the operator's set"
fi
status=0
as opsa gws-agentd set ready --agent agent2 > "$work/opsa2.out" 2>&1 || status=$?
if [ $status = 77 ] && grep -q 'operator_groups' "$work/opsa2.out" &&
  inside journalctl -u gws-agentd PEER_UID="$opsa_uid" -o cat --no-pager | grep -q '^control: set refused'; then
  ok "an operator outside agent2's group is refused for agent2 (exit 77), and the refusal is audited"
else
  cat "$work/opsa2.out"; bad "an operator outside agent2's group: exit $status"
fi

# A reader trying the socket in a loop while the unit restarts 20 times never connects.
inside rm -f /tmp/probe.stop
inside runuser -u reader -- sh -c 'while [ ! -e /tmp/probe.stop ]; do
    out=$(gws-agentd reload --socket /run/gws-agentd/control.sock 2>&1)
    case $out in *"permission denied"*) echo refused ;; *"not running"*|*"no daemon"*) echo down ;; *) echo "connected: $out" ;; esac
  done' > "$work/probe.out" 2>&1 &
probe_pid=$!
restarts_ok=1
# (reset-failed: 20 restarts in a row are past the unit's StartLimitBurst.)
for _ in $(seq 20); do
  inside systemctl reset-failed gws-agentd.service
  inside systemctl restart gws-agentd.service || restarts_ok=0
done
inside touch /tmp/probe.stop
wait $probe_pid || true
attempts=$(wc -l < "$work/probe.out")
if [ $restarts_ok = 1 ] && [ "$attempts" -ge 20 ] && ! grep -qv '^\(refused\|down\)$' "$work/probe.out"; then
  ok "a reader connecting in a loop through 20 restarts never got a connection ($attempts attempts: $(sort "$work/probe.out" | uniq -c | paste -sd' ' | tr -s ' '))"
else
  grep -v '^\(refused\|down\)$' "$work/probe.out" | head -3
  bad "the reader's probe through 20 restarts: $attempts attempts, restarts ok: $restarts_ok"
fi
within 30 all_synced || bad "not every agent synced after the restarts"

# Hostile clients, from the host through the container's root (root: no socket permission
# check stands in the way, only the daemon's limits).
socket=/proc/$pid1/root/run/gws-agentd/control.sock
mainpid=$(show gws-agentd MainPID)
vm() { inside awk -v key="$1:" '$1 == key {print $2}' "/proc/$mainpid/status" 2>/dev/null || echo 0; }
rss_before=$(vm VmRSS)
first=$(show gws-agentd WatchdogTimestampMonotonic)
python3 scripts/socket-client.py flood "$socket" 100 > "$work/flood.out" 2>&1 || true
growth=$(($(vm VmRSS) - rss_before))
if grep -q '"ended": "dropped"' "$work/flood.out" && [ "$growth" -le 8192 ] && advanced && all_synced &&
  [ "$(show gws-agentd MainPID)" = "$mainpid" ]; then
  ok "100 MB of bad lines, never reading: dropped ($(cat "$work/flood.out")), resident +$growth KiB (at most 8 MiB), watchdog fed, agents synced"
else
  bad "the flood: $(cat "$work/flood.out"); resident +$growth KiB; pid $(show gws-agentd MainPID) (was $mainpid)"
fi
base_fds=$(inside ls "/proc/$mainpid/fd" | wc -l)
coproc idlers { python3 scripts/socket-client.py idle "$socket" 128; }
read -r _ <&"${idlers[0]}"
accepted() { [ "$(inside ls "/proc/$mainpid/fd" | wc -l)" -ge $((base_fds + 128)) ]; }
if within 20 accepted && inside systemctl reload gws-agentd.service; then
  ok "128 idle clients take every slot; systemctl reload still works (the kept slot)"
else
  bad "with 128 idle clients: $(($(inside ls "/proc/$mainpid/fd" | wc -l) - base_fds)) accepted; systemctl reload failed"
fi
exec {idlers[1]}>&-
wait "$idlers_PID" 2>/dev/null || true
since=$(inside date +%s)
python3 scripts/socket-client.py unknown "$socket" 20000 > "$work/unknown.out" 2>&1 || true
inside gws-agentd set not-ready --agent agent3 > /dev/null 2>&1 || true
journal_since() { inside journalctl -u gws-agentd --since "@$since" -o cat --no-pager; }
unknown_lines=$(journal_since | grep -c '^control: unknown operation' || true)
if grep -q '"replies": 20000' "$work/unknown.out" && journal_since | grep -q '^control: set NotReady' && [ "$unknown_lines" -le 2 ]; then
  ok "20,000 unknown ops ($unknown_lines journal lines for them), then a set: its audit line is in the journal"
else
  bad "after 20,000 unknown ops: $(cat "$work/unknown.out"); $unknown_lines lines; the set's audit line: $(journal_since | grep -c 'control: set' || true)"
fi

# --- a shift start in the journal ---------------------------------------------------------
# SHIFT_AGENTS agents (default 2000) log in at once and each changes state once, against a
# second gws-sim serving them: every agent's resync and change entry is in the journal, and
# journald suppressed nothing (the unit's LogRateLimitBurst=). docs/performance.md has the
# figure for 10,000 agents (SHIFT_AGENTS=10000 with a release gws-sim).
shift_agents=${SHIFT_AGENTS:-2000}
echo "step: a shift start of $shift_agents agents in the journal"
"$sim" --port 0 --port-file "$work/port2" --timeout 25 --max-interval 60 --user none:none --agents "$shift_agents" \
  > "$work/sim2.log" 2>&1 &
sim2_pid=$!
within 20 test -s "$work/port2" || bad "the second gws-sim did not start: $(tail -3 "$work/sim2.log")"
port2=$(cat "$work/port2")
agents_dir=$work/root/etc/gws-agentd/agents.d
readers_gid=$(inside getent group gws-agentd | cut -d: -f3)
rm -f "$agents_dir"/*.password
for n in $(seq "$shift_agents"); do printf 'secret\n' > "$agents_dir/agent$n.password"; done
chown root:"$readers_gid" "$agents_dir"/*.password
chmod 0640 "$agents_dir"/*.password
inside sh -c "cat > /etc/gws-agentd/config.yaml" <<YAML
server:
  url: http://127.0.0.1:$port2
agents:
  directory: /etc/gws-agentd/agents.d
state:
  heartbeat_s: 10
YAML
count_synced() { inside sh -c 'grep -l "\"synced\":true" /run/gws-agentd/agent*.json 2>/dev/null | wc -l'; }
shift_all_synced() { [ "$(count_synced)" -ge "$shift_agents" ]; }
shift_started=$(date +%s)
inside systemctl restart gws-agentd.service
shift_invocation=$(show gws-agentd InvocationID)
if within 240 shift_all_synced; then
  ok "$shift_agents agents synced $(($(date +%s) - shift_started)) s after the restart"
else
  bad "a shift start: $(count_synced) of $shift_agents agents synced after 240 s"
fi
python3 - "$port2" "$shift_agents" <<'PY'
import http.client, json, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
for n in range(1, int(sys.argv[2]) + 1):
    body = json.dumps({"operation": "Ready", "username": f"agent{n}"})
    connection.request("POST", "/sim/control/operation", body, {"Content-Type": "application/json"})
    reply = connection.getresponse()
    reply.read()
    if reply.status != 200: sys.exit(f"operation for agent{n}: HTTP {reply.status}")
PY
entries() { inside journalctl _SYSTEMD_INVOCATION_ID="$shift_invocation" MESSAGE_ID="$1" -o cat --no-pager | wc -l; }
all_changed() {
  [ "$(entries b0ca0bc2294541499c1bfe437f3c50e3)" -ge "$shift_agents" ] &&
    [ "$(entries c30a2d3ab7e0497284b6344076bd37fd)" -ge "$shift_agents" ]
}
within 120 all_changed || true
resynced=$(entries f31531c358e94a5f9fc987865cda9119)
changed=$(entries b0ca0bc2294541499c1bfe437f3c50e3)
# Each agent's device and channels went Ready too: one entry each, with what it replaced.
parts=$(entries c30a2d3ab7e0497284b6344076bd37fd)
last_part=$(inside journalctl _SYSTEMD_INVOCATION_ID="$shift_invocation" MESSAGE_ID=c30a2d3ab7e0497284b6344076bd37fd -n 1 -o json --no-pager)
suppressed=$(inside journalctl MESSAGE_ID=a596d6fe7bfa4994828e72309e95d61e -o cat --no-pager | grep -c 'gws-agentd' || true)
last_change=$(inside journalctl _SYSTEMD_INVOCATION_ID="$shift_invocation" MESSAGE_ID=b0ca0bc2294541499c1bfe437f3c50e3 -n 1 -o json --no-pager)
if [ "$resynced" -ge "$shift_agents" ] && [ "$changed" -ge "$shift_agents" ] && [ "$suppressed" = 0 ] &&
  grep -q '"AGENT_PREVIOUS_STATE"' <<<"$last_change" && grep -q '"AGENT_PREVIOUS_DND"' <<<"$last_change" &&
  [ "$parts" -ge "$shift_agents" ] && grep -q '"PART_PREVIOUS_STATE"' <<<"$last_part" &&
  grep -Eq '"PART_KIND":"(device|channel)"' <<<"$last_part" && grep -Eq '"GWS_(DEVICE_ID|CHANNEL)"' <<<"$last_part"; then
  ok "the journal has every agent's resync ($resynced), change ($changed) and device or channel ($parts) entries, each change with what it replaced; journald suppressed nothing"
else
  bad "a shift start in the journal: $resynced resync, $changed change and $parts device or channel entries for $shift_agents agents; $suppressed suppression notices"
fi

# A scripted minute of agent1 (a change every 3 s), as an agent's desktop would make it: the
# times gws-sim accepted each operation are the script's own record, which the history step
# below checks `gws-agentd history --summary` against.
python3 - "$port2" "$work/script.json" <<'PY'
import http.client, json, sys, time
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
steps = ["NotReady", "DoNotDisturbOn", "Ready", "OutToLunch", "DoNotDisturbOff", "Ready"] * 3 + ["NotReady"]
record = []
for index, operation in enumerate(steps):
    if index:
        time.sleep(3)
    body = json.dumps({"operation": operation, "username": "agent1"})
    connection.request("POST", "/sim/control/operation", body, {"Content-Type": "application/json"})
    reply = connection.getresponse()
    reply.read()
    if reply.status != 200: sys.exit(f"{operation}: HTTP {reply.status}")
    record.append((time.time(), operation))
time.sleep(3)
json.dump({"steps": record, "end": time.time()}, open(sys.argv[2], "w"))
PY

# --- systemd-analyze security on the running system ------------------------------------------
echo "step: hardening"
for unit in gws-agentd.service gws-agentd@agent2.service; do
  exposure=$(inside systemd-analyze security "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }'; then ok "systemd-analyze security $unit: $exposure (at most 1.5)"
  else bad "systemd-analyze security $unit: ${exposure:-no figure}"; fi
done

echo "step: stop"
invocation=$(show gws-agentd InvocationID)
inside systemctl stop gws-agentd.service gws-agentd@agent2.service gws-agentd@agent3.service
result=$(show gws-agentd Result)
code=$(show gws-agentd ExecMainStatus)
# The daemon logs "stopping" (SIGNAL=SIGTERM) as it sends STOPPING=1, then "stopped".
said=$(inside journalctl _SYSTEMD_INVOCATION_ID="$invocation" SYSLOG_IDENTIFIER=gws-agentd -o cat --no-pager | paste -sd'|')
if [ "$result" = success ] && [ "$code" = 0 ] && grep -Eq '\|stopping\|(.*\|)?stopped$' <<<"|$said"; then
  ok "systemctl stop: the daemon said stopping (STOPPING=1), then stopped, and exited 0"
else bad "systemctl stop: Result=$result ExecMainStatus=$code; the daemon said: ${said: -200}"; fi
inside test -e /run/gws-agentd && bad "the runtime directory outlived a stop" || ok "a stop removes /run/gws-agentd"

# --- gws-agentd history on the real journal ---------------------------------------------------
# The shift's agent1: resynced, changed to Ready, then the daemon stopped. Its time line has the
# change; its summary accounts for every second of the window, the stop as a gap.
echo "step: history"
history_until=$(date +%s)
timeline=$(inside gws-agentd history --agent agent1 --since "@$shift_started" --until "@$history_until" 2>&1)
summary=$(inside gws-agentd history --agent agent1 --since "@$shift_started" --until "@$history_until" --summary --json 2>&1)
if grep -q '  agent1  Ready, DND off  (was NotReady' <<<"$timeline" &&
  python3 - "$summary" "$((history_until - shift_started))" <<'PY'
import json, sys
totals = json.loads(sys.argv[1].splitlines()[0])
window = float(sys.argv[2])
assert totals["agent"] == "agent1", totals
assert abs(totals["known_s"] + totals["unknown_s"] - window) < 0.01, (totals, window)
assert totals["states"].get("Ready", 0) > 0 and totals["gaps"].get("daemon stopped", 0) > 0, totals
PY
then
  ok "gws-agentd history reads agent1's change back from the journal; --summary accounts for the whole window, the stop as a gap"
else
  bad "gws-agentd history: ${timeline: -300} | ${summary: -300}"
fi
read -r script_start script_end < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["steps"][0][0], s["end"])' "$work/script.json")
scripted=$(inside gws-agentd history --agent agent1 --since "@$script_start" --until "@$script_end" --summary --json 2>&1)
if python3 - "$work/script.json" "$scripted" <<'PY'
import json, sys
script = json.load(open(sys.argv[1]))
totals = json.loads(sys.argv[2].splitlines()[0])
# What each operation selects (gws-sim's definitions), and what DND it leaves.
states = {"NotReady": "NotReady", "Ready": "Ready", "OutToLunch": "NotReady"}
state, dnd, expected, expected_dnd = None, "off", {}, {}
steps = script["steps"] + [[script["end"], None]]
for (at, operation), (next_at, _) in zip(steps, steps[1:]):
    if operation in states: state = states[operation]
    if operation == "DoNotDisturbOn": dnd = "on"
    if operation == "DoNotDisturbOff": dnd = "off"
    expected[state] = expected.get(state, 0) + next_at - at
    expected_dnd[dnd] = expected_dnd.get(dnd, 0) + next_at - at
problems = [f"{name} {totals['states'].get(name, 0):.3f} s, the script {seconds:.3f} s"
            for name, seconds in expected.items() if abs(totals["states"].get(name, 0) - seconds) > 1]
problems += [f"DND {flag} {totals['dnd'].get(flag, 0):.3f} s, the script {seconds:.3f} s"
             for flag, seconds in expected_dnd.items() if abs(totals["dnd"].get(flag, 0) - seconds) > 1]
if totals["unknown_s"] > 1: problems.append(f"{totals['unknown_s']} s unknown")
if problems: sys.exit("; ".join(problems))
PY
then
  ok "history --summary over a scripted minute of agent1 (19 changes) matches the script's own totals to the second"
else
  bad "history --summary against the script: ${scripted: -300}"
fi

# --- the journal, checked against docs/logging.md --------------------------------------------
echo "step: the journal"
inside journalctl -o json --no-pager > "$work/journal.json"
if python3 - "$work/journal.json" docs/logging.md > "$work/journal.out" 2>&1 <<'PY'; then
import json, re, sys
journal, doc = sys.argv[1], open(sys.argv[2]).read()
table = doc[doc.index("## Journal fields"):doc.index("## The operator commands")]
documented, every, at_start = set(), set(), set()
for row in table.splitlines():
    cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
    if len(cells) < 2 or not cells[0].startswith("`"):
        continue
    names = re.findall(r"`([A-Z_]+)`", cells[0])
    documented.update(names)
    if cells[1].startswith("every entry"):
        every.update(names)
    elif cells[1].startswith("start"):
        at_start.update(names)
ids = dict(re.findall(r"^\| `([0-9a-f]{32})` \| ([^|]+?) \|", doc, re.M))
problems, seen, daemon_entries, seen_ids = [], set(), 0, set()
for line in open(journal):
    entry = json.loads(line)
    ours = str(entry.get("SYSLOG_IDENTIFIER", "")).startswith("gws-agentd") or entry.get("_COMM") == "gws-agentd"
    if not ours:
        continue
    transport = entry.get("_TRANSPORT")
    if transport == "syslog" or (transport == "stdout" and "run" in str(entry.get("_CMDLINE", "")).split()):
        problems.append(f"{transport} line from {entry.get('_CMDLINE')!r}: {entry.get('MESSAGE')!r}")
        continue
    if transport != "journal":
        continue  # ExecReload's own output (logging.md: the operator commands)
    daemon_entries += 1
    fields = {key for key in entry if not key.startswith("_")}
    seen |= fields
    if "MESSAGE_ID" in entry:
        seen_ids.add(entry["MESSAGE_ID"])
        if entry["MESSAGE_ID"] not in ids:
            problems.append(f"MESSAGE_ID {entry['MESSAGE_ID']} is not in docs/logging.md ({entry.get('MESSAGE')!r})")
    for key in sorted(fields - documented):
        problems.append(f"{key} is not in docs/logging.md ({entry.get('MESSAGE')!r})")
    for key in sorted(every - fields):
        problems.append(f"no {key} in {entry.get('MESSAGE')!r}")
    if "CONNECTION_STATE" in fields and "GWS_USERNAME" not in fields:
        problems.append(f"no GWS_USERNAME on an agent's entry {entry.get('MESSAGE')!r}")
    for key, value in entry.items():
        if isinstance(value, list):
            problems.append(f"{key} appears {len(value)} times in {entry.get('MESSAGE')!r}")
        elif isinstance(value, str) and ("/.build/" in value or value.startswith("/work/")):
            problems.append(f"{key} holds a build path: {value}")
for key in sorted(at_start - seen):
    problems.append(f"{key} (docs/logging.md: at start) is on no entry")
for wanted in ("connected to GWS", "the agent's state or DND changed", "an operator command"):
    if not any(event.startswith(wanted) and id in seen_ids for id, event in ids.items()):
        problems.append(f"no entry with the MESSAGE_ID of '{wanted}'")
for problem in sorted(set(problems))[:20]:
    print("        " + problem)
print(f"{daemon_entries} entries, {len(seen)} fields, {len(seen_ids)} MESSAGE_IDs")
sys.exit(1 if problems or daemon_entries == 0 else 0)
PY
  ok "journal: $(tail -1 "$work/journal.out"), each as docs/logging.md lists it; nothing on stdout, stderr or syslog"
else
  cat "$work/journal.out"
  bad "journal entries against docs/logging.md (above)"
fi

echo "test-system: $((checks - failures)) of $checks checks passed in $(($(date +%s) - started)) s"
[ $failures = 0 ]
