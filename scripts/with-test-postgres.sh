#!/usr/bin/env bash
# Runs a command with TRUCKROLL_TEST_DATABASE_URL set. When it is already set, the command runs as is;
# otherwise a throwaway PostgreSQL cluster is initialised in a temporary directory, started on a free
# loopback port (as the postgres user when run as root, since PostgreSQL refuses to run as root), and
# removed when the command ends. fsync is off: this cluster holds nothing worth keeping.
set -euo pipefail

if [ -n "${TRUCKROLL_TEST_DATABASE_URL:-}" ]; then exec "$@"; fi

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)")
fi
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server programs not found; run: apt-get install -y postgresql" >&2; exit 1; }

dir=$(mktemp -d /tmp/truckroll-test-pg.XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$dir"
  as_owner=(runuser -u postgres --)
fi
chmod 700 "$dir"
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
printf '%s\n' "$password" > "$dir.pw"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$dir.pw"

cleanup() {
  "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$dir.pw"
}
trap cleanup EXIT

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U truckroll --pwfile="$dir.pw" -E UTF8 --locale=C.UTF-8 \
  --auth-local=scram-sha-256 --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir.pw"

started=
for _ in 1 2 3 4 5; do
  port=$(( 20000 + RANDOM % 30000 ))
  if "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null 2>&1; then
    started=1; break
  fi
done
[ -n "$started" ] || { echo "the test PostgreSQL did not start:" >&2; tail -20 "$dir/server.log" >&2; exit 1; }

export TRUCKROLL_TEST_DATABASE_URL="postgresql://truckroll:$password@127.0.0.1:$port/postgres"
echo "test PostgreSQL on 127.0.0.1:$port (data in $dir)"
status=0
"$@" || status=$?
exit $status
