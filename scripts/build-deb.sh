#!/usr/bin/env bash
# make deb: stage `make install` into a package root and build a .deb with dpkg-deb.
# Usage: scripts/build-deb.sh VERSION [CONFIGURATION]   (writes out/gws-agentd_VERSION_ARCH.deb)
set -euo pipefail
cd "$(dirname "$0")/.."
version=$1
configuration=${2:-release}
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

make --no-print-directory install DESTDIR="$root" PREFIX=/usr SYSCONFDIR=/etc CONFIGURATION="$configuration" >/dev/null
binary=$root/usr/bin/gws-agentd

# What Debian's policy asks of a package's files: the man page compressed, the changelog
# and the machine-readable copyright file, the lintian overrides with their reasons.
gzip -9n "$root/usr/share/man/man8/gws-agentd.8"
doc=$root/usr/share/doc/gws-agentd
install -m 0644 packaging/copyright "$doc/copyright"
gzip -9nc packaging/changelog > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -D -m 0644 packaging/lintian-overrides "$root/usr/share/lintian/overrides/gws-agentd"

# The binary stripped; its debug information goes to the -dbgsym package, found by
# debuggers through the build id (/usr/lib/debug/.build-id/xx/rest.debug).
dbgroot=$(mktemp -d)
trap 'rm -rf "$root" "$dbgroot"' EXIT
build_id=$(readelf -n "$binary" | awk '/Build ID:/ {print $3}')
if [ -n "$build_id" ]; then
  debug=$dbgroot/usr/lib/debug/.build-id/${build_id:0:2}/${build_id:2}.debug
  mkdir -p "$(dirname "$debug")"
  objcopy --only-keep-debug --compress-debug-sections "$binary" "$debug"
  chmod 0644 "$debug"
fi
strip --remove-section=.comment --remove-section=.note "$binary"

# Depends: the Debian packages owning the shared libraries the binary links.
# (The library cache is read once: an awk that exits at its match would end a pipe from
# ldconfig with SIGPIPE, which pipefail turns into a failed build now and then.)
depends=()
libraries=$(ldconfig -p)
for lib in $(objdump -p "$root/usr/bin/gws-agentd" | awk '/NEEDED/ {print $2}'); do
  path=$(awk -v lib="$lib" '$1 == lib {print $NF; exit}' <<<"$libraries")
  package=""
  [ -n "$path" ] && package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -z "$package" ] && package=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true
  if [ -n "$package" ]; then
    depends+=("$package")
  else
    echo "build-deb: warning: $lib belongs to no Debian package (a debug build links the Swift runtime)" >&2
  fi
done
# libc6 with the newest glibc symbol version the binary needs (2.36 for DT_RELR, which
# the release link uses).
symbols=$(objdump -T "$root/usr/bin/gws-agentd")
versions=$(readelf -V "$root/usr/bin/gws-agentd")
glibc=$(grep -o 'GLIBC_2\.[0-9]*' <<<"$symbols" | sort -uV | tail -1 | cut -d_ -f2)
if grep -q GLIBC_ABI_DT_RELR <<<"$versions"; then
  glibc=$(printf '%s\n' "$glibc" 2.36 | sort -V | tail -1)
fi
depends_line=$(printf '%s\n' "${depends[@]}" systemd | sort -u | sed "s/^libc6\$/libc6 (>= $glibc)/" | paste -sd, | sed 's/,/, /g')

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: gws-agentd
Version: $version
Architecture: $arch
Maintainer: gws-agentd developers <gws-agentd@example.com>
Section: net
Priority: optional
Installed-Size: $size
Depends: $depends_line
Homepage: https://github.com/gws-agentd/gws-agentd
Description: live Genesys agent state and Do-Not-Disturb as a JSON state file
 gws-agentd follows one contact-center agent's state (Ready, NotReady,
 LoggedOut, work mode, Do-Not-Disturb) from Genesys Web Services over CometD
 long-polling and publishes it in /run/gws-agentd/state.json for other programs.
 It runs as a hardened systemd Type=notify service, one instance per agent.
CONTROL
echo /etc/gws-agentd/config.yaml > "$root/DEBIAN/conffiles"
cat > "$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
# Creates the daemon's system user, the group of the state file's readers and that of the
# control socket's operators (sysusers.d/gws-agentd.conf).
# Enables and starts nothing: configure /etc/gws-agentd first, then
# `systemctl enable --now gws-agentd.service`.
set -e
if [ "$1" = configure ]; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers gws-agentd.conf
  else
    # Depends: systemd brings systemd-sysusers; this is for a root without it (passwd's tools).
    for group in gws-agentd gws-agentd-readers gws-agentd-operators; do
      getent group "$group" >/dev/null || groupadd --system "$group"
    done
    getent passwd gws-agentd >/dev/null ||
      useradd --system --gid gws-agentd --no-create-home --home-dir / --shell /usr/sbin/nologin gws-agentd
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
  fi
fi
exit 0
POSTINST
chmod 0755 "$root/DEBIAN/postinst"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
mkdir -p out
# The staged files belong to root in the package whoever builds it.
dpkg-deb --root-owner-group --build "$root" "out/gws-agentd_${version}_${arch}.deb" >/dev/null
echo "out/gws-agentd_${version}_${arch}.deb"

if [ -n "$build_id" ]; then
  mkdir -p "$dbgroot/DEBIAN" "$dbgroot/usr/share/doc"
  ln -s gws-agentd "$dbgroot/usr/share/doc/gws-agentd-dbgsym"
  cat > "$dbgroot/DEBIAN/control" <<CONTROL
Package: gws-agentd-dbgsym
Source: gws-agentd
Version: $version
Architecture: $arch
Maintainer: gws-agentd developers <gws-agentd@example.com>
Section: debug
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$dbgroot" | cut -f1)
Depends: gws-agentd (= $version)
Auto-Built-Package: debug-symbols
Build-Ids: $build_id
Description: debug symbols for gws-agentd
CONTROL
  (cd "$dbgroot" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | xargs -0 md5sum) > "$dbgroot/DEBIAN/md5sums"
  dpkg-deb --root-owner-group --build "$dbgroot" "out/gws-agentd-dbgsym_${version}_${arch}.deb" >/dev/null
  echo "out/gws-agentd-dbgsym_${version}_${arch}.deb"
fi
