#!/usr/bin/env bash
# Installs the Debian packages keel builds with, only when one is missing (idempotent).
# Every dependency comes from Debian; nothing is downloaded at build time.
set -euo pipefail
PACKAGES=(
  g++ cmake ninja-build pkg-config
  libboost-dev                 # Boost 1.74: Asio/Beast (webhook, control API, feeds), Lockfree (bench peer)
  libconcurrentqueue-dev       # moodycamel ConcurrentQueue
  libreaderwriterqueue-dev     # moodycamel ReaderWriterQueue (benchmark peer)
  libcli11-dev                 # the keel command line
  nlohmann-json3-dev           # config parsing and printing (cold path)
  libgtest-dev libgmock-dev    # tests
  libbenchmark-dev             # bench/
  libsimdjson-dev              # webhook bodies and market-data messages (simdjson On-Demand)
  libssl-dev                   # HMAC-SHA256 webhook signatures (OpenSSL)
  libhowardhinnant-date-dev    # date/tz: session time zones (daylight saving) over the system tzdata
  tzdata                       # /usr/share/zoneinfo, which date/tz reads
  wrk                          # bench: webhook throughput at 64 connections
  prometheus                   # promtool: tests/e2e check /metrics with `promtool check metrics`
  libquickfix-dev              # FIX 4.4 session layer (QuickFIX 1.15): the FIX venue adapter and keel fix-venue
  libsqlite3-dev               # keel journal export (SQLite C API); bench/journal_bench's peer
  sqlite3                      # the sqlite3 shell: tests/e2e/export_test.sh runs the README's queries
  chromium                     # only tests/e2e/report_test.sh: renders keel report's HTML headless
  python3-pandas               # tests/e2e/metrics_test.py: the run's metrics against pandas
  valgrind                     # bench/: callgrind counts the pipeline's instructions per event (gate.py); pipeline_icount includes valgrind/callgrind.h
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "keel: installing missing Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}"
