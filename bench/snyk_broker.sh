# shellcheck shell=bash
# bench/snyk_broker.sh -- peer tool for the Transporter figures: snyk-broker (npm, classic mode, no Snyk
# account) as an HTTP tunnel between a caller and a local origin, all on loopback. Meant to be sourced:
#     source bench/snyk_broker.sh
#     snyk_broker_install "$BENCH/.work/snyk-broker"
#     snyk_broker_start "$BENCH/.work/snyk-broker" http://127.0.0.1:18080 18301 18302   # NOT in $(...)
#     curl "$SNYK_BROKER_URL/api/v4/version"      # -> broker server -> websocket -> client -> origin
#     snyk_broker_stop
# Path of a request: caller -> broker SERVER (HTTP, 127.0.0.1:SERVER_PORT, /broker/TOKEN/<path>; checks the
# server's `public` accept rules) -> request relayed over the client's websocket (primus/engine.io, EJSON,
# the request body inside the message) -> broker CLIENT (checks its `private` accept rules, which carry
# the origin) -> ORIGIN_URL/<path> -> the client streams the response back to the server as an HTTP POST
# to /response-data/TOKEN/<streamingId> ("post-streams"), which the server pipes to the caller.
#
# snyk_broker_install DIR
#   `npm install --prefix DIR snyk-broker@$SNYK_BROKER_VERSION` unless DIR/node_modules/snyk-broker already
#   has that version (npm registry only; log in DIR/npm-install.log). npm warns EBADENGINE (the package
#   asks for node >= 24): it runs on node 20 all the same.
# snyk_broker_start DIR ORIGIN_URL SERVER_PORT CLIENT_PORT
#   1. Writes DIR/config.default.json. The package does not ship one, and without it the broker quits at
#      once, with exit status 0 ("config.default.json is missing"): it is looked up by walking up from the
#      package's own dist/lib/hybrid-sdk/common/config, so DIR (above DIR/node_modules) is where it is
#      found. Minimal content = the 4 workload keys (with `{}` both processes start and connect, but every
#      relayed request hangs: unhandled rejection "Unable to instantiate workload, path is undefined"):
#      REMOTE_WORKLOAD_NAME=BrokerWorkload, CLIENT_WORKLOAD_NAME=BrokerClientRequestWorkload, and their
#      *_MODULE_PATH = absolute paths of the package's dist/lib/broker-workload/{websocketRequests,
#      clientLocalRequests} (without .js).
#   2. Writes the accept rules: DIR/accept-server.json (`public`: what a caller may send to the server) and
#      DIR/accept-client.json (`private`: what the client may forward, each rule with "origin": ORIGIN_URL).
#      Both allow GET, POST, PUT and DELETE on /api/v4/*, /oauth/*, /hooks/* and /* (path-to-regexp 1.x:
#      `*` spans slashes). A request matching no rule gets 401 {"code":"FILTER_BLOCKED",...} (PATCH, say).
#   3. Writes DIR/loopback.cjs, preloaded into both node processes (NODE_OPTIONS=--require): the broker
#      calls server.listen(port) with no host (all interfaces); this makes every such listen bind
#      $SNYK_BROKER_BIND (127.0.0.1).
#   4. Starts the SERVER: `node DIR/node_modules/snyk-broker/dist/cli/index.js server --port SERVER_PORT`
#      with ACCEPT=DIR/accept-server.json; waits for GET /healthcheck on it to answer 200.
#   5. Starts the CLIENT: `... index.js client --port CLIENT_PORT` with BROKER_TOKEN, BROKER_SERVER_URL=
#      http://127.0.0.1:SERVER_PORT, ACCEPT=DIR/accept-client.json, BROKER_CLIENT_URL=http://127.0.0.1:
#      CLIENT_PORT (informational), PREFLIGHT_CHECKS_ENABLED=false and IPV6_CONNECTIVITY_CHECK_ENABLED=false
#      (no start-up probes). Nothing is sent anywhere but the two loopback ports and the origin: no
#      DISPATCHER_URL (server side: no-op), no METRICS_OTEL endpoint (no-op metrics), no HA mode.
#   6. Ready = GET http://127.0.0.1:SERVER_PORT/connection-status/TOKEN answers 200 with two clients (the
#      client opens a primary and a secondary websocket) that both report a version, i.e. finished the
#      identify handshake; then one GET of SNYK_BROKER_PROBE_PATH through the tunnel (it reaches the
#      origin) must not fail with a broker error (any answer of the origin itself, even 404, is fine).
#      Gives up after SNYK_BROKER_START_TIMEOUT seconds (log tails printed, both processes stopped,
#      returns 1). About 3-4 s from call to return on this machine (node boots ~1.3 s per process).
#   7. Exports SNYK_BROKER_URL=http://127.0.0.1:SERVER_PORT/broker/TOKEN (a request to
#      $SNYK_BROKER_URL/x/y?q reaches ORIGIN_URL/x/y?q), SNYK_BROKER_SERVER_PID, SNYK_BROKER_CLIENT_PID,
#      SNYK_BROKER_TOKEN, SNYK_BROKER_DIR, SNYK_BROKER_SERVER_PORT, SNYK_BROKER_CLIENT_PORT, and prints
#      `SNYK_BROKER_URL=...`. Call it in the current shell, never inside $(...) or a pipeline: the exports
#      would be lost. Logs (bunyan JSON lines, truncated at each start): DIR/server.log, DIR/client.log.
#      At LOG_LEVEL info neither process logs per request (the server logs a warning per connection-status
#      poll that finds no client yet).
# snyk_broker_restart_server [DOWN_SECONDS]
#   Stops the server only, waits DOWN_SECONDS (0), starts it again on the same port and returns once the
#   client has reconnected by itself (it retries with exponential back-off, primus: 30 retries, factor 1.5,
#   so the longer the outage the later after the server's return); prints the timings.
# snyk_broker_stop
#   SIGTERM to both PIDs, SIGKILL after 5 s; unsets the PIDs. Safe to call twice or from an EXIT trap.
# Limits (5.22.14, seen in its source and checked): request bodies are buffered whole by the server's
# body-parser, limit 10 MiB (10,485,760 bytes pass, one more byte gets 413 PayloadTooLargeError before
# anything reaches the client), and travel inside one websocket message; responses are streamed. A
# request body sent as application/x-www-form-urlencoded hangs (the client recomputes Content-Length from
# the Buffer's string form, "122,122" for "zz", and the origin waits for bytes that never come): send
# bodies as application/json or application/octet-stream. The server's HTTP requestTimeout is 600 s
# (BROKER_WEBSERVER_REQUEST_TIMEOUT, ms), so a transfer through it must finish within 10 minutes.
# Env:  SNYK_BROKER_VERSION (5.22.14), SNYK_BROKER_TOKEN (a fixed made-up lowercase UUID: the server
#       lowercases tokens, so an uppercase one would never match /broker/TOKEN), SNYK_BROKER_NODE (node),
#       SNYK_BROKER_LOG_LEVEL (info; the broker's LOG_LEVEL: debug | info | warn | error), SNYK_BROKER_BIND
#       (127.0.0.1), SNYK_BROKER_START_TIMEOUT (60 s), SNYK_BROKER_PROBE_PATH (/, the start-up probe's path
#       at the origin), SNYK_BROKER_RECONNECT_TIMEOUT (120 s more for snyk_broker_restart_server).

SNYK_BROKER_VERSION="${SNYK_BROKER_VERSION:-5.22.14}"

_snyk_broker_pkg() { printf '%s/node_modules/snyk-broker' "$1"; }

_snyk_broker_installed_version() {
    local pj; pj="$(_snyk_broker_pkg "$1")/package.json"
    [[ -f "$pj" ]] && "${SNYK_BROKER_NODE:-node}" -p "require(process.argv[1]).version" "$pj" 2>/dev/null
}

snyk_broker_install() {
    local dir="${1:?usage: snyk_broker_install DIR}"
    if [[ "$(_snyk_broker_installed_version "$dir")" == "$SNYK_BROKER_VERSION" ]]; then
        return 0
    fi
    mkdir -p "$dir" || return 1
    echo "snyk_broker_install: npm install --prefix $dir snyk-broker@$SNYK_BROKER_VERSION" >&2
    if ! npm install --prefix "$dir" --no-audit --no-fund "snyk-broker@$SNYK_BROKER_VERSION" >"$dir/npm-install.log" 2>&1; then
        echo "snyk_broker_install: npm install failed, see $dir/npm-install.log" >&2
        tail -n 20 "$dir/npm-install.log" >&2
        return 1
    fi
    [[ "$(_snyk_broker_installed_version "$dir")" == "$SNYK_BROKER_VERSION" ]] || {
        echo "snyk_broker_install: snyk-broker@$SNYK_BROKER_VERSION not found in $dir after npm install" >&2; return 1; }
}

# Writes DIR/config.default.json, DIR/accept-{server,client}.json and DIR/loopback.cjs.
_snyk_broker_write_config() {
    local dir="$1" origin="$2" pkg; pkg="$(_snyk_broker_pkg "$dir")"
    cat >"$dir/config.default.json" <<EOF
{
  "REMOTE_WORKLOAD_NAME": "BrokerWorkload",
  "REMOTE_WORKLOAD_MODULE_PATH": "$pkg/dist/lib/broker-workload/websocketRequests",
  "CLIENT_WORKLOAD_NAME": "BrokerClientRequestWorkload",
  "CLIENT_WORKLOAD_MODULE_PATH": "$pkg/dist/lib/broker-workload/clientLocalRequests"
}
EOF
    "${SNYK_BROKER_NODE:-node}" - "$dir" "$origin" <<'EOF' || return 1
const fs = require('fs');
const [dir, origin] = process.argv.slice(2);
const rules = (withOrigin) => {
  const out = [];
  for (const path of ['/api/v4/*', '/oauth/*', '/hooks/*', '/*'])
    for (const method of ['GET', 'POST', 'PUT', 'DELETE'])
      out.push(Object.assign({ '//': `bench: ${method} ${path}`, method, path }, withOrigin ? { origin } : {}));
  return out;
};
fs.writeFileSync(`${dir}/accept-server.json`, JSON.stringify({ public: rules(false), private: [] }, null, 2) + '\n');
fs.writeFileSync(`${dir}/accept-client.json`, JSON.stringify({ public: [], private: rules(true) }, null, 2) + '\n');
EOF
    cat >"$dir/loopback.cjs" <<'EOF'
// Written by bench/snyk_broker.sh: the broker listens with server.listen(port) (all interfaces);
// bind such listens to SNYK_BROKER_BIND (default 127.0.0.1) instead.
const net = require('net');
const host = process.env.SNYK_BROKER_BIND || '127.0.0.1';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const a0 = args[0];
  if (typeof a0 === 'number' || (typeof a0 === 'string' && /^\d+$/.test(a0))) {
    if (args.length === 1 || typeof args[1] === 'function') args.splice(1, 0, host);
  } else if (a0 && typeof a0 === 'object' && a0.path === undefined && a0.host === undefined) {
    args[0] = Object.assign({}, a0, { host });
  }
  return listen.apply(this, args);
};
EOF
}

_snyk_broker_fail() {
    local dir="$1" f; shift
    echo "snyk_broker_start: $*" >&2
    for f in server client; do
        [[ -f "$dir/$f.log" ]] && { echo "--- tail of $dir/$f.log" >&2; tail -n 15 "$dir/$f.log" >&2; }
    done
    snyk_broker_stop
    return 1
}

# _snyk_broker_spawn server|client: starts one broker process in the background (state from snyk_broker_start).
_snyk_broker_spawn() {
    local role="$1" dir="$SNYK_BROKER_DIR" bind="${SNYK_BROKER_BIND:-127.0.0.1}" env=()
    env=(NODE_OPTIONS="--require $dir/loopback.cjs" SNYK_BROKER_BIND="$bind" LOG_LEVEL="${SNYK_BROKER_LOG_LEVEL:-info}"
         NO_PROXY="127.0.0.1,localhost,$bind" no_proxy="127.0.0.1,localhost,$bind" ACCEPT="$dir/accept-$role.json")
    if [[ "$role" == server ]]; then
        env+=(PORT="$SNYK_BROKER_SERVER_PORT")
        (cd "$dir" && exec env "${env[@]}" "${SNYK_BROKER_NODE:-node}" "$(_snyk_broker_pkg "$dir")/dist/cli/index.js" \
            server --port "$SNYK_BROKER_SERVER_PORT") </dev/null >>"$dir/server.log" 2>&1 &
        export SNYK_BROKER_SERVER_PID=$!
    else
        env+=(PORT="$SNYK_BROKER_CLIENT_PORT" BROKER_TOKEN="$SNYK_BROKER_TOKEN" BROKER_SERVER_URL="http://$bind:$SNYK_BROKER_SERVER_PORT"
              BROKER_CLIENT_URL="http://$bind:$SNYK_BROKER_CLIENT_PORT" PREFLIGHT_CHECKS_ENABLED=false
              IPV6_CONNECTIVITY_CHECK_ENABLED=false)
        (cd "$dir" && exec env "${env[@]}" "${SNYK_BROKER_NODE:-node}" "$(_snyk_broker_pkg "$dir")/dist/cli/index.js" \
            client --port "$SNYK_BROKER_CLIENT_PORT") </dev/null >>"$dir/client.log" 2>&1 &
        export SNYK_BROKER_CLIENT_PID=$!
    fi
}

# _snyk_broker_wait healthy|connected DEADLINE: the server answers /healthcheck | both client websockets are
# identified on the server (connection-status lists 2 clients, each with its version). 1 on timeout or exit.
_snyk_broker_wait() {
    local what="$1" deadline="$2" base="http://${SNYK_BROKER_BIND:-127.0.0.1}:$SNYK_BROKER_SERVER_PORT"
    while :; do
        if [[ "$what" == healthy ]]; then
            curl -fsS -o /dev/null --max-time 2 "$base/healthcheck" 2>/dev/null && return 0
        elif curl -fsS --max-time 2 "$base/connection-status/$SNYK_BROKER_TOKEN" 2>/dev/null | "${SNYK_BROKER_NODE:-node}" -e '
                let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
                  const c = JSON.parse(s).clients || []; process.exit(c.length >= 2 && c.every((x) => x.version) ? 0 : 1); });' 2>/dev/null; then
            return 0
        fi
        kill -0 "$SNYK_BROKER_SERVER_PID" 2>/dev/null || { echo "the broker server exited" >&2; return 1; }
        [[ "$what" == healthy ]] || kill -0 "$SNYK_BROKER_CLIENT_PID" 2>/dev/null || { echo "the broker client exited" >&2; return 1; }
        ((SECONDS < deadline)) || { echo "timed out waiting for the broker to be $what" >&2; return 1; }
        sleep 0.1
    done
}

snyk_broker_start() {
    local dir="${1:?usage: snyk_broker_start DIR ORIGIN_URL SERVER_PORT CLIENT_PORT}" origin="${2:?ORIGIN_URL}"
    local sport="${3:?SERVER_PORT}" cport="${4:?CLIENT_PORT}" token="${SNYK_BROKER_TOKEN:-0b5e55ed-0000-4000-8000-00000000be4c}"
    local deadline=$((SECONDS + ${SNYK_BROKER_START_TIMEOUT:-60})) probe
    dir="$(cd "$dir" && pwd)" || return 1
    [[ -f "$(_snyk_broker_pkg "$dir")/dist/cli/index.js" ]] || {
        echo "snyk_broker_start: no snyk-broker in $dir (run snyk_broker_install $dir)" >&2; return 1; }
    [[ -z "${SNYK_BROKER_SERVER_PID:-}${SNYK_BROKER_CLIENT_PID:-}" ]] || snyk_broker_stop
    export SNYK_BROKER_DIR="$dir" SNYK_BROKER_SERVER_PORT="$sport" SNYK_BROKER_CLIENT_PORT="$cport" SNYK_BROKER_TOKEN="${token,,}"
    _snyk_broker_write_config "$dir" "${origin%/}" || return 1
    : >"$dir/server.log"; : >"$dir/client.log"
    _snyk_broker_spawn server
    _snyk_broker_wait healthy "$deadline" || { _snyk_broker_fail "$dir" "the broker server did not come up"; return 1; }
    _snyk_broker_spawn client
    _snyk_broker_wait connected "$deadline" || { _snyk_broker_fail "$dir" "the broker client did not connect"; return 1; }
    export SNYK_BROKER_URL="http://${SNYK_BROKER_BIND:-127.0.0.1}:$sport/broker/$SNYK_BROKER_TOKEN"
    # One request through the tunnel. A broker-made failure carries an x-broker-failure header (no client
    # connection) or a JSON body {"code":"FILTER_BLOCKED" | "DOWNSTREAM_UNREACHABLE" | ...} (401/502/504);
    # whatever the origin itself answers (even a 404) means the path works.
    rm -f "$dir/probe.body"
    probe="$(curl -sS --max-time 20 -D - -o "$dir/probe.body" "$SNYK_BROKER_URL${SNYK_BROKER_PROBE_PATH:-/}" 2>&1)" \
        && ! grep -qi '^x-broker-failure' <<<"$probe" \
        && ! grep -Eq '"code": ?"(DOWNSTREAM_(TIMEOUT|UNREACHABLE|ERROR)|FILTER_BLOCKED|BODY_TOO_LARGE)"' "$dir/probe.body" \
        || { _snyk_broker_fail "$dir" "probe GET $SNYK_BROKER_URL${SNYK_BROKER_PROBE_PATH:-/} failed: $(head -n 1 <<<"$probe")" \
                "$(head -c 300 "$dir/probe.body" 2>/dev/null)"; return 1; }
    echo "SNYK_BROKER_URL=$SNYK_BROKER_URL"
}

# snyk_broker_restart_server [DOWN_SECONDS]: SIGTERM (SIGKILL after 5 s) to the server only, DOWN_SECONDS (0)
# of downtime, a new server on the same port; returns once the client has reconnected by itself and prints
# `snyk_broker_restart_server: down D s, server up (healthcheck) H s after its start, client reconnected R s
# after that (T s after the stop)`.
snyk_broker_restart_server() {
    local down="${1:-0}" i t0 t1 t2 t3 dl
    [[ -n "${SNYK_BROKER_SERVER_PID:-}" ]] || { echo "snyk_broker_restart_server: not started" >&2; return 1; }
    t0=$(date +%s.%N)
    kill -TERM "$SNYK_BROKER_SERVER_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 "$SNYK_BROKER_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SNYK_BROKER_SERVER_PID" 2>/dev/null || true
    sleep "$down"
    t1=$(date +%s.%N); dl=$((SECONDS + ${SNYK_BROKER_START_TIMEOUT:-60}))
    _snyk_broker_spawn server
    _snyk_broker_wait healthy "$dl" || { echo "snyk_broker_restart_server: the server did not come up" >&2; return 1; }
    t2=$(date +%s.%N)
    _snyk_broker_wait connected $((dl + ${SNYK_BROKER_RECONNECT_TIMEOUT:-120})) \
        || { echo "snyk_broker_restart_server: the client did not reconnect" >&2; return 1; }
    t3=$(date +%s.%N)
    awk -v d="$down" -v a="$t0" -v b="$t1" -v c="$t2" -v e="$t3" 'BEGIN { printf "snyk_broker_restart_server: " \
        "down %s s, server up %.2f s after its start, client reconnected %.2f s after that (%.2f s after the stop)\n",
        d, c - b, e - c, e - a }'
}

snyk_broker_stop() {
    local pid pids=() i
    for pid in "${SNYK_BROKER_CLIENT_PID:-}" "${SNYK_BROKER_SERVER_PID:-}"; do
        [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && { kill -TERM "$pid" 2>/dev/null; pids+=("$pid"); }
    done
    for ((i = 0; i < 50 && ${#pids[@]} > 0; i++)); do
        local alive=()
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
        pids=("${alive[@]}")
        ((${#pids[@]} == 0)) || sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    unset SNYK_BROKER_SERVER_PID SNYK_BROKER_CLIENT_PID
    return 0
}
