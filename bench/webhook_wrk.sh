#!/usr/bin/env bash
# Webhook throughput: starts `webhook_bench --serve 0` (HttpServer + WebhookReceiver with an
# input port that is durable at once) and drives it with wrk at 64 connections.
# Usage: bench/webhook_wrk.sh [path/to/webhook_bench] [wrk duration, default 5s]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${1:-$here/../build/release/bench/webhook_bench}"
duration="${2:-5s}"
command -v wrk >/dev/null || { echo "wrk not found (Debian package wrk)" >&2; exit 2; }
[[ -x "$bin" ]] || { echo "no webhook_bench at $bin (cmake --build build/release --target webhook_bench)" >&2; exit 2; }

out="$(mktemp)"
"$bin" --serve 0 >"$out" &
server=$!
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; rm -f "$out"' EXIT
# The server prints its port once it listens; wait for that line (bounded).
for _ in $(seq 1 100); do
    port="$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out")"
    [[ -n "$port" ]] && break
    sleep 0.05
done
[[ -n "${port:-}" ]] || { echo "server did not start" >&2; exit 1; }
echo "wrk -t2 -c64 -d$duration -s bench/webhook_wrk.lua http://127.0.0.1:$port/webhook/tradingview"
wrk -t2 -c64 -d"$duration" --latency -s "$here/webhook_wrk.lua" "http://127.0.0.1:$port/webhook/tradingview"
kill -INT "$server"
wait "$server" || true
server=""
cat "$out"
