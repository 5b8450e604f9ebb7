#!/usr/bin/env bash
# Checks the Debian packages Truckroll needs to build and test: libpq-dev and pkg-config (build),
# postgresql (server programs for the embedded and test databases, psql and pgbench), openssl (the TLS tests'
# certificates) and pgbouncer (the scaling test, docs/scaling.md).
# As root it installs what is missing; otherwise it prints the exact command and fails, except for pgbouncer,
# whose test is then skipped with that command as the reason.
set -euo pipefail

missing=()
pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev pkg-config)
bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
fi
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v pgbench >/dev/null 2>&1 || missing+=(postgresql-client)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ! -x /usr/sbin/pgbouncer ] && ! command -v pgbouncer >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    missing+=(pgbouncer)
  else
    echo "note: pgbouncer is not installed, so the scaling test will be skipped; install it with: sudo apt-get install -y pgbouncer" >&2
  fi
fi

if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
packages=$(printf '%s\n' "${missing[@]}" postgresql libpq-dev pkg-config | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ]; then
  echo "installing missing Debian packages: $packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $packages
else
  echo "missing Debian packages; install them with:" >&2
  echo "  sudo apt-get install -y $packages" >&2
  exit 1
fi
