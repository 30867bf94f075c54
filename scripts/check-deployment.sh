#!/usr/bin/env bash
# The deployment gates `make test` runs after the Swift suite:
#   1. `make install` into a temporary root: every file present, with its mode; ExecStart
#      rewritten for the PREFIX; `make uninstall` removes all but the configuration.
#   2. Both units pass `systemd-analyze verify` with nothing on stderr (252 only warns on
#      unknown keys, so any stderr output counts as a failure).
#   3. Both units score an exposure of at most 1.5 with `systemd-analyze security --offline=yes`.
#   4. `make deb` (always release): the package's metadata, conffiles, postinst and contents; lintian finds
#      no error and no warning.
# Usage: scripts/check-deployment.sh [CONFIGURATION]   (default debug: reuses the test build)
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-debug}
work=$(mktemp -d /tmp/gws-agentd-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "check-deployment: FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "check-deployment: ok: $*"; }

# --- 1. install into a temporary root -------------------------------------------------
root=$work/root
make --no-print-directory install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc \
  CONFIGURATION="$configuration" > "$work/install.log" 2>&1 || { cat "$work/install.log"; fail "make install"; exit 1; }

expect_mode() { # path mode
  local path=$root$1
  if [ ! -f "$path" ]; then fail "$1 is not installed"; return; fi
  local mode
  mode=$(stat -c %a "$path")
  [ "$mode" = "$2" ] || fail "$1 has mode $mode, expected $2"
}
expect_mode /usr/bin/gws-agentd 755
expect_mode /usr/lib/systemd/system/gws-agentd.service 644
expect_mode /usr/lib/systemd/system/gws-agentd@.service 644
expect_mode /usr/lib/systemd/system/gws-agentd-hooks.service 644
expect_mode /usr/lib/sysusers.d/gws-agentd.conf 644
expect_mode /usr/share/man/man8/gws-agentd.8 644
expect_mode /usr/share/bash-completion/completions/gws-agentd 644
expect_mode /usr/share/zsh/vendor-completions/_gws-agentd 644
expect_mode /usr/share/fish/vendor_completions.d/gws-agentd.fish 644
expect_mode /etc/gws-agentd/config.yaml 644
for doc in README.md configuration.md state-file.md state-file.schema.json operations.md deployment.md control-socket.md control-socket.schema.json integration.md logging.md security.md gws-agentd.yaml; do
  expect_mode /usr/share/doc/gws-agentd/$doc 644
done
grep -q '^ExecStart=/usr/bin/gws-agentd run$' "$root/usr/lib/systemd/system/gws-agentd.service" \
  || fail "ExecStart of gws-agentd.service does not name /usr/bin/gws-agentd"
grep -q 'set' "$root/usr/share/bash-completion/completions/gws-agentd" || fail "the bash completion lacks subcommands"
grep -q 'check-config' "$root/usr/share/man/man8/gws-agentd.8" || fail "the man page lacks check-config"
"$root/usr/bin/gws-agentd" --version | grep -q '^0\.' || fail "the installed binary does not run"
if [ "$configuration" = release ]; then
  # A release binary carries the Swift runtime: it must run where no toolchain is installed.
  needed=$(objdump -p "$root/usr/bin/gws-agentd" | awk '/NEEDED/ {print $2}')
  if grep -Eq 'libswift|libFoundation|libdispatch|libBlocksRuntime' <<<"$needed"; then
    fail "the installed release binary links the Swift runtime dynamically: $(grep -E 'swift|Foundation|dispatch' <<<"$needed" | paste -sd' ')"
  fi
fi
sysusers=$root/usr/lib/sysusers.d/gws-agentd.conf
grep -q '^u gws-agentd ' "$sysusers" || fail "sysusers.d lacks the daemon's user"
grep -q '^g gws-agentd-readers ' "$sysusers" || fail "sysusers.d lacks the readers group"
grep -q '^g gws-agentd-operators ' "$sysusers" || fail "sysusers.d lacks the operators group"
for unit in gws-agentd.service gws-agentd@.service; do
  # Every User=/Group=/SupplementaryGroups= name in a unit must be one sysusers.d creates.
  for name in $(sed -nE 's/^(User|Group|SupplementaryGroups)=//p' "$root/usr/lib/systemd/system/$unit"); do
    grep -qE "^[ug] $name " "$sysusers" || fail "$unit names $name, which sysusers.d does not create"
  done
  # The control socket: in the unit's own runtime directory (0751: operators reach the
  # socket without listing the directory), bound by the daemon in the operators' group, mode
  # 0660, before it listens (the daemon is in that group); the peers' real uids (no user namespace).
  file=$root/usr/lib/systemd/system/$unit
  case $unit in *@*) dir='gws-agentd@%i' ;; *) dir='gws-agentd' ;; esac
  grep -q "^RuntimeDirectory=$dir\$" "$file" || fail "$unit: RuntimeDirectory is not $dir"
  grep -q '^RuntimeDirectoryMode=0751$' "$file" || fail "$unit: RuntimeDirectoryMode is not 0751"
  grep -q '^Environment=GWS_AGENTD_CONTROL_GROUP=gws-agentd-operators$' "$file" \
    || fail "$unit: the control socket is not bound in gws-agentd-operators"
  grep -qE '^SupplementaryGroups=.*\bgws-agentd-operators\b' "$file" || fail "$unit: the daemon is not in gws-agentd-operators"
  grep -q '^PrivateUsers=yes' "$file" && fail "$unit: PrivateUsers= hides the control socket's peers' uids"
  grep -q '^ExecStartPost=.*chgrp' "$file" && fail "$unit: the socket's group is set after it listens"
  grep -q "^ExecReload=/usr/bin/gws-agentd reload" "$file" || fail "$unit: ExecReload does not use the control socket"
  grep -q '^LimitCORE=0$' "$file" || fail "$unit: core dumps are not off (the process holds the password)"
done

# An edited configuration survives a second install and the uninstall.
echo '# edited' >> "$root/etc/gws-agentd/config.yaml"
make --no-print-directory install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc CONFIGURATION="$configuration" > /dev/null 2>&1
grep -q '^# edited$' "$root/etc/gws-agentd/config.yaml" || fail "make install overwrote an edited configuration"
[ $failures = 0 ] && pass "make install: files, modes, ExecStart, man page, completions, docs"

# --- 2 and 3. the units -----------------------------------------------------------------
# verify needs the ExecStart binary and the man page: point both at the staged install.
units=$work/units
mkdir -p "$units"
for unit in gws-agentd.service gws-agentd@.service gws-agentd-hooks.service; do
  sed "s|/usr/bin/gws-agentd|$root/usr/bin/gws-agentd|" "$root/usr/lib/systemd/system/$unit" > "$units/$unit"
done
cp "$units/gws-agentd@.service" "$units/gws-agentd@site1.service"
for unit in gws-agentd.service gws-agentd@.service gws-agentd@site1.service gws-agentd-hooks.service; do
  if ! MANPATH=$root/usr/share/man systemd-analyze verify "$units/$unit" > "$work/verify.out" 2> "$work/verify.err"; then
    fail "systemd-analyze verify $unit failed: $(cat "$work/verify.err")"
  elif [ -s "$work/verify.err" ]; then
    fail "systemd-analyze verify $unit printed on stderr: $(cat "$work/verify.err")"
  else
    pass "systemd-analyze verify $unit: nothing on stderr"
  fi
done
for unit in gws-agentd.service gws-agentd@site1.service gws-agentd-hooks.service; do
  exposure=$(systemd-analyze security --offline=yes "$units/$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -z "$exposure" ]; then
    fail "systemd-analyze security printed no exposure for $unit"
  elif awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }'; then
    pass "systemd-analyze security $unit: exposure $exposure (gate 1.5)"
  else
    fail "systemd-analyze security $unit: exposure $exposure is above 1.5"
  fi
done

# --- uninstall ----------------------------------------------------------------------------
make --no-print-directory uninstall DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc > /dev/null
left=$(cd "$root" && find . -type f | sort)
if [ "$left" = "./etc/gws-agentd/config.yaml" ]; then
  pass "make uninstall removed everything but the configuration"
else
  fail "make uninstall left: $left"
fi

# --- 4. the Debian package ----------------------------------------------------------------
rm -rf out
# Always the release build: it is what ships (statically linked Swift runtime, no RUNPATH
# into a toolchain), and what lintian must pass. make test-system installs the same build.
if make --no-print-directory deb CONFIGURATION=release > "$work/deb.log" 2>&1; then
  deb=$(ls out/gws-agentd_*.deb 2>/dev/null | head -1)
  if [ -z "$deb" ]; then
    fail "make deb wrote no package"
  else
    info=$(dpkg-deb --info "$deb")
    contents=$(dpkg-deb --contents "$deb")
    for field in "Package: gws-agentd" "Version: $(sed -n '1s/^[^(]*(\([^)]*\)).*$/\1/p' packaging/changelog)" "Architecture: $(dpkg --print-architecture)" "Maintainer: " "Description: " "Depends: .*libcurl4" "Depends: .*systemd" "Depends: .*libc6 (>= 2\.[0-9]*)"; do
      grep -q "^ *$field" <<<"$info" || fail "the package's control lacks '$field'"
    done
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/gws-agentd/config.yaml || fail "config.yaml is not a conffile"
    postinst=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst)
    grep -q 'systemd-sysusers' <<<"$postinst" || fail "postinst does not create the user and groups"
    if grep -v '^ *#' <<<"$postinst" | grep -Eq 'systemctl +(enable|start|restart)|deb-systemd-invoke'; then
      fail "postinst enables or starts a service"
    fi
    for path in ./usr/bin/gws-agentd ./usr/lib/systemd/system/gws-agentd.service ./usr/lib/systemd/system/gws-agentd@.service \
      ./usr/lib/sysusers.d/gws-agentd.conf ./usr/share/man/man8/gws-agentd.8.gz ./usr/share/doc/gws-agentd/copyright \
      ./usr/share/doc/gws-agentd/changelog.gz ./etc/gws-agentd/config.yaml; do
      grep -q " $path\$" <<<"$contents" || fail "the package lacks $path"
    done
    grep -q '^-rwxr-xr-x root/root .* ./usr/bin/gws-agentd$' <<<"$contents" || fail "the packaged binary is not 0755 root:root"
    [ $failures = 0 ] && pass "make deb: $deb (metadata, conffiles, postinst, contents)"
    # Debian's own checks: no error and no warning; overrides (packaging/lintian-overrides)
    # each carry their reason.
    if command -v lintian >/dev/null; then
      if lintian --fail-on error,warning --display-level '>=warning' out/*.deb > "$work/lintian.out" 2>&1; then
        pass "lintian: no error and no warning in $(cd out && ls *.deb | paste -sd' ')"
      else
        fail "lintian: $(cat "$work/lintian.out")"
      fi
    else
      fail "lintian is not installed (make deps installs it)"
    fi
  fi
else
  cat "$work/deb.log"
  fail "make deb"
fi
rm -rf out

if [ $failures != 0 ]; then
  echo "check-deployment: $failures failure(s)" >&2
  exit 1
fi
echo "check-deployment: all deployment checks passed"
