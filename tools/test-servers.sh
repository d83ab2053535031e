#!/usr/bin/env bash
# Make sure the servers the test suite starts are installed: PostgreSQL and the mail stack
# (Postfix, Dovecot, OpenDKIM). As root, installs the missing Debian packages; otherwise
# prints what to install. The tests start and stop the servers themselves, on 127.0.0.1.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
for tool in postfix dovecot opendkim; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$tool")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "test-servers: installing ${missing[*]}" >&2
  apt-get update -qq >/dev/null || true
  "$HERE/mailstack/mailstack.sh" install
  if printf '%s\n' "${missing[@]}" | grep -qx postgresql; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  exit 0
fi

echo "test-servers: not installed: ${missing[*]}." >&2
echo "test-servers: as root run: apt-get install postgresql postfix dovecot-imapd opendkim opendkim-tools" >&2
echo "test-servers: the tests that need them will be skipped." >&2
