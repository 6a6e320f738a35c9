# Sourced by .ci/run: starts three real package registries on loopback for the publish tests
# and stops them (and removes their data) when the script exits:
#   npm:   Verdaccio                  SLIPWAY_TEST_NPM_REGISTRY, SLIPWAY_TEST_NPM_TOKEN
#   PyPI:  pypiserver (uploads on)    SLIPWAY_TEST_PYPI_URL, SLIPWAY_TEST_PYPI_USER, SLIPWAY_TEST_PYPI_PASSWORD
#   cargo: cargo-http-registry        SLIPWAY_TEST_CARGO_INDEX (a file:// git index; uploads go to
#                                     the HTTP API its config.json names)
# The servers are installed once into ${XDG_CACHE_HOME:-$HOME/.cache}/slipway-ci (outside the
# clone, so the project's `npm ci` stays small); a second run starts them from that cache.
# A registry whose install fails is left out with a note: its tests then skip and say why.

reg_cache="${XDG_CACHE_HOME:-$HOME/.cache}/slipway-ci"
reg_tmp=$(mktemp -d "${TMPDIR:-/tmp}/slipway-ci-reg.XXXXXX")
reg_pids=()
reg_t0=$(date +%s)

reg_stop() {
  for p in "${reg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${reg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$reg_tmp"
}
# Keep the trap an earlier script (postgres.sh) set: both must run on exit.
reg_prev_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
trap "reg_stop; ${reg_prev_trap}" EXIT

reg_port() {
  node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits up to 60 s for a URL to answer (any HTTP status) while the last server started lives.
reg_wait() {
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "$1" && return 0
    kill -0 "${reg_pids[-1]}" 2>/dev/null || break
    sleep 0.2
  done
  echo "registries: $2 did not answer at $1; its log:" >&2
  cat "$3" >&2 || true
  return 1
}

# The cargo registry is compiled from source once (about 2 minutes on 2 cores, longer under
# load): it builds in the background while the other two install and start.
chr_version=0.1.8
chr_dir="$reg_cache/cargo-http-registry-$chr_version"
chr_build=
if command -v cargo >/dev/null && [ ! -x "$chr_dir/bin/cargo-http-registry" ]; then
  echo "registries: building cargo-http-registry $chr_version into $chr_dir (minutes, once)"
  cargo install --quiet --locked "cargo-http-registry@$chr_version" --root "$chr_dir" >/dev/null 2>&1 &
  chr_build=$!
fi

# --- npm: Verdaccio ----------------------------------------------------------------------------
verdaccio_version=6.10.4
verdaccio_dir="$reg_cache/verdaccio-$verdaccio_version"
if [ ! -x "$verdaccio_dir/node_modules/.bin/verdaccio" ]; then
  echo "registries: installing verdaccio@$verdaccio_version into $verdaccio_dir"
  mkdir -p "$verdaccio_dir"
  npm i --no-audit --no-fund --loglevel=error --prefix "$verdaccio_dir" "verdaccio@$verdaccio_version" >/dev/null ||
    echo "registries: verdaccio install failed; npm publish tests will skip" >&2
fi
if [ -x "$verdaccio_dir/node_modules/.bin/verdaccio" ]; then
  npm_port=$(reg_port)
  mkdir -p "$reg_tmp/npm"
  # No uplinks: nothing is proxied from the public registry, so every test is offline.
  cat >"$reg_tmp/npm/config.yaml" <<EOF
storage: $reg_tmp/npm/storage
auth:
  htpasswd:
    file: $reg_tmp/npm/htpasswd
    max_users: 100
uplinks: {}
packages:
  '**':
    access: \$all
    publish: \$authenticated
    unpublish: \$authenticated
log: { type: stdout, format: pretty, level: warn }
EOF
  "$verdaccio_dir/node_modules/.bin/verdaccio" --config "$reg_tmp/npm/config.yaml" \
    --listen "127.0.0.1:$npm_port" >"$reg_tmp/npm.log" 2>&1 &
  reg_pids+=($!)
  if reg_wait "http://127.0.0.1:$npm_port/-/ping" verdaccio "$reg_tmp/npm.log"; then
    # A user for the tests; Verdaccio answers the sign-up with a token.
    npm_token=$(curl -sf -X PUT -H 'content-type: application/json' \
      -d '{"name":"slipway","password":"slipway-test-pw"}' \
      "http://127.0.0.1:$npm_port/-/user/org.couchdb.user:slipway" |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))' ||
      true)
    export SLIPWAY_TEST_NPM_REGISTRY="http://127.0.0.1:$npm_port/"
    export SLIPWAY_TEST_NPM_TOKEN="$npm_token"
    echo "registries: verdaccio $verdaccio_version on port $npm_port"
  fi
fi

# --- PyPI: pypiserver --------------------------------------------------------------------------
pypiserver_version=2.4.2
# The same venv holds build and twine (and setuptools for build): the tests build the example's dists offline with it.
pypi_venv="$reg_cache/pypiserver-$pypiserver_version-tools2"
if [ ! -x "$pypi_venv/bin/pypi-server" ]; then
  echo "registries: installing pypiserver==$pypiserver_version into $pypi_venv"
  rm -rf "$pypi_venv"
  { python3 -m venv "$pypi_venv" &&
    "$pypi_venv/bin/pip" install -q --disable-pip-version-check \
      "pypiserver==$pypiserver_version" passlib==1.7.4 twine==7.0.0 build==1.6.1 setuptools==80.9.0 waitress==3.0.2; } >/dev/null ||
    echo "registries: pypiserver install failed; PyPI publish tests will skip" >&2
fi
if [ -x "$pypi_venv/bin/pypi-server" ]; then
  pypi_port=$(reg_port)
  mkdir -p "$reg_tmp/pypi/packages"
  "$pypi_venv/bin/python" -c 'import sys
from passlib.apache import HtpasswdFile
h = HtpasswdFile(sys.argv[1], new=True)
h.set_password("slipway", "slipway-test-pw")
h.save()' "$reg_tmp/pypi/htpasswd"
  # Uploads need the password, downloads do not; no overwrite, as on PyPI; an unknown project
  # is a 404 here, not a redirect to the public index.
  # With waitress installed, its 'auto' server is waitress: HTTP/1.1 and threads (wsgiref closes
  # every connection, which clients reusing a pooled one see as "other side closed").
  "$pypi_venv/bin/pypi-server" run -i 127.0.0.1 -p "$pypi_port" -P "$reg_tmp/pypi/htpasswd" \
    -a update --disable-fallback "$reg_tmp/pypi/packages" >"$reg_tmp/pypi.log" 2>&1 &
  reg_pids+=($!)
  if reg_wait "http://127.0.0.1:$pypi_port/simple/" pypiserver "$reg_tmp/pypi.log"; then
    export SLIPWAY_TEST_PYPI_URL="http://127.0.0.1:$pypi_port/"
    export SLIPWAY_TEST_PYPI_USER=slipway
    export SLIPWAY_TEST_PYPI_PASSWORD=slipway-test-pw
    # python3 with build, and twine (the benchmark's hand-typed upload; slipway needs neither).
    export SLIPWAY_TEST_PYTHON_BIN="$pypi_venv/bin"
    echo "registries: pypiserver $pypiserver_version on port $pypi_port"
  fi
fi

# --- cargo: cargo-http-registry ----------------------------------------------------------------
if [ -n "$chr_build" ] && ! wait "$chr_build"; then
  echo "registries: cargo-http-registry install failed; cargo publish tests will skip" >&2
fi
if [ -x "$chr_dir/bin/cargo-http-registry" ]; then
  cargo_port=$(reg_port)
  "$chr_dir/bin/cargo-http-registry" --addr "127.0.0.1:$cargo_port" "$reg_tmp/cargo" >"$reg_tmp/cargo.log" 2>&1 &
  reg_pids+=($!)
  if reg_wait "http://127.0.0.1:$cargo_port/git/HEAD" cargo-http-registry "$reg_tmp/cargo.log"; then
    export SLIPWAY_TEST_CARGO_INDEX="file://$reg_tmp/cargo"
    echo "registries: cargo-http-registry $chr_version on port $cargo_port"
  fi
fi
echo "registries: ready in $(($(date +%s) - reg_t0)) s"
