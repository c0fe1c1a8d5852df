#!/usr/bin/env python3
"""A live paper session driven the way a user drives it: `keel feed` serves the bundled MSFT
bars, `keel run --config` (config/paper.json, secrets from the config and the environment)
trades them and takes TradingView alerts over HTTP, and the control API answers with a token.

Checks, each against the real binary over real sockets:
  - a valid alert -> 200 with its sequence, and an order for it in the journal; the same alert
    again -> 200 duplicate and no second order, also after a restart; wrong secret -> 401;
    malformed JSON -> 400 naming the problem; a 2 MB body -> 413; a flood past the rate limit
    -> 429s while every accepted alert reaches the journal;
  - a client sending its headers one byte per second is cut off while alerts keep being served;
  - SIGKILL during an alert flood, then a restart: every alert answered 200 is in the journal,
    and re-sending all of them trades nothing more (each traded at most once);
  - /metrics passes `promtool check metrics`; the control API needs its token;
  - a feed-driven session over the bundled data trades the same as the backtest of the same
    data and config (fills equal apart from timestamps);
  - the planted secret and token never appear in a log, a journal file or an API response.
Usage: paper_test.py KEEL SRC
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import dump, fail, procs, wait_for  # noqa: E402

T = live_support.init(sys.argv[1], "keel_paper_")
KEEL, SRC = live_support.KEEL, os.path.abspath(sys.argv[2])
SECRET = "planted-webhook-secret-7f3a9c51"
TOKEN = "planted-control-token-41d2e8b0"
BARS = os.path.join(SRC, "data", "msft_daily.csv")
TRADES = os.path.join(SRC, "data", "usdchf_30m.csv")
responses = []  # every API response body, for the secret check


def write_config(name, feed_port):
    cfg = json.load(open(os.path.join(SRC, "config", "paper.json")))
    cfg["feed"]["port"] = feed_port
    cfg["webhook"]["port"] = 0
    cfg["webhook"]["header_timeout_ms"] = 2000
    # A low refill: a sequential flood on a slow disk (each 200 waits for an fdatasync) still
    # outruns it; the burst covers every section's own alerts.
    cfg["webhook"]["rate_limit"] = {"per_source_per_s": 5, "per_source_burst": 60,
                                    "global_per_s": 400, "global_burst": 400}
    del cfg["webhook"]["secret"]  # from the environment (KEEL__WEBHOOK__SECRET)
    cfg["control"]["port"] = 0
    cfg["control"]["token"] = TOKEN  # planted in the config file
    path = os.path.join(T, name + ".json")
    json.dump(cfg, open(path, "w"))
    return path


def start_feed(name, *extra):
    """keel feed serving the bundled MSFT daily bars and USD/CHF trades: (process, port, count)."""
    p = subprocess.Popen([KEEL, "feed", "--csv", "MSFT=" + BARS, "--csv", "USDCHF=" + TRADES,
                          "--bar-interval", "1d", "--listen", "127.0.0.1:0", *extra],
                         stdout=subprocess.PIPE,
                         stderr=open(os.path.join(T, name + ".err"), "w"), text=True)
    procs.append(p)
    first = p.stdout.readline()
    m = re.search(r"serving (\d+) messages .* on tcp://127\.0\.0\.1:(\d+)", first)
    if not m:
        fail("keel feed printed: " + first)
    return p, int(m.group(2)), int(m.group(1))


def Keel(name, config, journal):
    """keel run with the webhook secret from the environment (KEEL__WEBHOOK__SECRET)."""
    return live_support.Keel(name, config, journal,
                             env=dict(os.environ, KEEL__WEBHOOK__SECRET=SECRET))


def request(port, method, path, body=None, headers=None, may_fail=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read().decode(errors="replace")
    except OSError as e:
        if may_fail:
            raise
        fail("%s %s on port %d: %s" % (method, path, port, e))
    finally:
        c.close()
    responses.append(data)
    return r.status, data


def alert(port, ident, secret=SECRET, action="buy", may_fail=False):
    body = json.dumps({"ticker": "USDCHF", "action": action, "quantity": "1000", "id": ident,
                       "secret": secret, "strategy": "e2e", "timeframe": "1D"})
    return request(port, "POST", "/webhook/tradingview", body, {"Content-Type": "text/plain"},
                   may_fail)


def api(k, path, method="GET", token=TOKEN):
    headers = {"Authorization": "Bearer " + token} if token else {}
    return request(k.control, method, path, None, headers)


def orders_by_cause(records):
    counts = {}
    for r in records:
        if r["type"] == "order_sent":
            cause = int(r["order_id"]) >> 2
            counts[cause] = counts.get(cause, 0) + 1
    return counts


# --- 1. A session with the feed and alerts -------------------------------------------------
feed, feed_port, _ = start_feed("feed1", "--rate", "500")
config = write_config("paper", feed_port)
J1 = os.path.join(T, "j1")
k = Keel("run1", config, J1)
wait_for("market data through the pipeline",
         lambda: api(k, "/api/status")[0] == 200 and
         json.loads(api(k, "/api/status")[1]).get("last_seq", 0) >= 20)

status, body = alert(k.webhook, "a1")
if status != 200 or '"duplicate":false' not in body:
    fail("valid alert: %d %s" % (status, body))
seq_a1 = json.loads(body)["seq"]
status, body = alert(k.webhook, "a1")
if status != 200 or '"duplicate":true' not in body:
    fail("repeated alert: %d %s" % (status, body))
status, body = alert(k.webhook, "a2", secret="wrong")
if status != 401:
    fail("wrong secret: %d %s" % (status, body))
status, body = request(k.webhook, "POST", "/webhook/tradingview", '{"ticker": "USDCHF", "act',
                       {"Content-Type": "application/json"})
if status != 400 or "malformed_json" not in body or "at byte" not in body:
    fail("malformed JSON: %d %s" % (status, body))
status, body = request(k.webhook, "POST", "/webhook/tradingview", "x" * (2 << 20),
                       {"Content-Type": "application/json"})
if status != 413:
    fail("2 MB body: %d %s" % (status, body))

# A client that sends its headers one byte per second, while alerts are served meanwhile.
slow = socket.create_connection(("127.0.0.1", k.webhook))
cut = threading.Event()


def trickle():
    """Sends one header byte per second; the server closing the connection ends it."""
    import select
    for ch in b"POST /webhook/tradingview HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
        try:
            slow.send(bytes([ch]))
            ready, _, _ = select.select([slow], [], [], 1.0)  # the pace: one byte per second
            if ready and slow.recv(4096) == b"":
                break
        except OSError:
            break
    else:
        return  # never cut off: the check below fails
    cut.set()


threading.Thread(target=trickle, daemon=True).start()
served = 0
deadline = time.monotonic() + 60
while not cut.is_set() and time.monotonic() < deadline:
    status, body = alert(k.webhook, "slow-%d" % served)
    if status != 200:
        fail("alert during the slow client: %d %s" % (status, body))
    served += 1
    time.sleep(0.2)  # a steady trickle of normal alerts beside the slow client
if not cut.is_set():
    fail("a client sending a header byte per second was not cut off")
if served == 0:
    fail("no alert was served while the slow client was connected")

# A flood past the rate limit: 429s, and every accepted alert reaches the journal.
accepted = {"a1": seq_a1}
limited = 0
for i in range(300):
    status, body = alert(k.webhook, "flood-%d" % i)
    if status == 200:
        accepted["flood-%d" % i] = json.loads(body)["seq"]
    elif status == 429:
        limited += 1
    else:
        fail("flood: %d %s" % (status, body))
if limited == 0:
    fail("a flood of 300 alerts was never rate limited")

status, metrics = api(k, "/metrics")
if status != 200:
    fail("/metrics: %d" % status)
open(os.path.join(T, "metrics.txt"), "w").write(metrics)
check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True,
                       text=True)
if check.returncode != 0:
    fail("promtool check metrics: " + check.stdout + check.stderr)
if api(k, "/api/status", token="")[0] != 401 or api(k, "/api/status", token="nope")[0] != 401:
    fail("the control API answered without its token")
if api(k, "/api/status")[0] != 200 or api(k, "/health/live", token="")[0] != 200:
    fail("the control API did not answer with its token")

if k.stop() != 0:
    fail("keel run did not exit 0 on SIGTERM")
feed.kill()
records = dump(J1)
alerts = {r["seq"]: r for r in records if r["type"] == "alert"}
for ident, seq in accepted.items():
    if seq not in alerts:
        fail("alert %s answered 200 with seq %d is not in the journal" % (ident, seq))
orders = orders_by_cause(records)
if orders.get(seq_a1, 0) != 1:
    fail("alert a1 has %d orders in the journal, expected 1" % orders.get(seq_a1, 0))
if any(n > 1 for n in orders.values()):
    fail("an input caused more than one order")

# --- 2. Restart: the duplicate window survives it -------------------------------------------
k = Keel("run2", config, J1)
status, body = alert(k.webhook, "a1")
if status != 200 or '"duplicate":true' not in body:
    fail("the same alert after a restart: %d %s" % (status, body))

# --- 3. SIGKILL during a flood, then a restart ----------------------------------------------
flood_ok = {}
stop_flood = threading.Event()


def flood():
    i = 0
    while not stop_flood.is_set():
        try:
            status, body = alert(k.webhook, "kill-%d" % i, may_fail=True)
        except OSError:
            return
        if status == 200:
            flood_ok["kill-%d" % i] = json.loads(body)["seq"]
        i += 1


t = threading.Thread(target=flood)
t.start()
wait_for("alerts accepted during the flood", lambda: len(flood_ok) >= 40)
k.stop(signal.SIGKILL)
stop_flood.set()
t.join()
k = Keel("run3", config, J1)
for ident in flood_ok:
    status, body = alert(k.webhook, ident)
    while status == 429:  # the rate limit: do as its Retry-After says
        time.sleep(1.0)
        status, body = alert(k.webhook, ident)
    if status != 200 or '"duplicate":true' not in body:
        fail("re-sent %s after the crash: %d %s" % (ident, status, body))
if k.stop() != 0:
    fail("keel run (after the crash) did not exit 0")
records = dump(J1)
alerts = {r["seq"]: r for r in records if r["type"] == "alert"}
for ident, seq in flood_ok.items():
    if seq not in alerts:
        fail("alert %s answered 200 (seq %d) before the crash is not in the journal" % (ident, seq))
if any(n > 1 for n in orders_by_cause(records).values()):
    fail("an alert traded more than once across the crash")
verify = subprocess.run([KEEL, "replay", J1, "--verify"], capture_output=True, text=True)
if verify.returncode != 0:
    fail("replay --verify of the paper journal: " + verify.stdout + verify.stderr)

# --- 4. The feed-driven session trades as the backtest does ---------------------------------
feed, feed_port, messages = start_feed("feed2")
config2 = write_config("paper2", feed_port)
J2 = os.path.join(T, "j2")
k = Keel("run4", config2, J2)

def metric(name):
    m = re.search(r"^" + name + r" (\d+)", api(k, "/metrics")[1], re.M)
    return int(m.group(1)) if m else 0


wait_for("every feed message", lambda: metric("keel_feed_messages_total") >= messages, 300)
# (keel is writing J2: dump reads up to a record in progress, and says so, with exit 0.)
wait_for("every message through the pipeline",
         lambda: sum(1 for r in dump(J2, "input") if r["type"] in ("bar", "trade")) >= messages,
         300)
# One writer per journal: a second keel on the live journal is refused before it touches it,
# and readers call a live writer's last record in progress, never torn.
second = subprocess.run([KEEL, "run", "--config", config2, "--journal", J2],
                        capture_output=True, text=True, timeout=60,
                        env=dict(os.environ, KEEL__WEBHOOK__SECRET=SECRET))
if second.returncode == 0 or \
        "is being written by another process (pid %d)" % k.p.pid not in second.stderr:
    fail("a second keel run on a live journal: exit %d, %s" % (second.returncode, second.stderr))
verify = subprocess.run([KEEL, "journal", "verify", J2], capture_output=True, text=True)
if verify.returncode != 0 or "torn" in verify.stdout:
    fail("journal verify of a live journal: exit %d, %s%s" %
         (verify.returncode, verify.stdout, verify.stderr))
live_db = os.path.join(T, "live.sqlite")
export = subprocess.run([KEEL, "journal", "export", J2, "--sqlite", live_db],
                        capture_output=True, text=True)
if export.returncode != 0 or "is being written (pid %d)" % k.p.pid not in export.stderr:
    fail("journal export of a live journal: exit %d, %s" % (export.returncode, export.stderr))
import sqlite3
complete = sqlite3.connect(live_db).execute("SELECT complete FROM sessions").fetchone()[0]
if complete != 0:
    fail("an export of a live journal says complete=%r" % complete)
if k.stop() != 0:
    fail("keel run (feed) did not exit 0")
feed.wait(timeout=30)
# The backtest of the same config and data: the live sections out, the files in.
cfg = json.load(open(config2))
for section in ("feed", "webhook", "control"):
    del cfg[section]
cfg["data"] = {"files": [{"path": BARS, "symbol": "MSFT", "bar_interval": "1d"},
                         {"path": TRADES, "symbol": "USDCHF"}]}
config3 = os.path.join(T, "backtest.json")
json.dump(cfg, open(config3, "w"))
J3 = os.path.join(T, "j3")
bt = subprocess.run([KEEL, "backtest", "--config", config3, "--journal", J3],
                    capture_output=True, text=True)
if bt.returncode != 0:
    fail("backtest: " + bt.stdout + bt.stderr)


def fills(journal):
    return [(r["symbol"], r["side"], r["price"], r["quantity"]) for r in dump(journal, "input")
            if r["type"] == "venue_fill"]


live_fills, bt_fills = fills(J2), fills(J3)
if not bt_fills:
    fail("the backtest made no fills: nothing to compare")
if live_fills != bt_fills:
    fail("feed session fills %s != backtest fills %s" % (live_fills, bt_fills))

# --- 5. Secrets ----------------------------------------------------------------------------
for root, _, files in os.walk(T):
    for name in files:
        if name.endswith(".json"):
            continue  # the test's own config file holds the token it planted
        data = open(os.path.join(root, name), "rb").read()
        for s in (SECRET, TOKEN):
            if s.encode() in data:
                fail("a secret appears in " + os.path.join(root, name))
for body in responses:
    if SECRET in body or TOKEN in body:
        fail("a secret appears in an API response")

print("paper: %d alerts accepted, %d rate limited, %d flood alerts kept across SIGKILL, "
      "%d fills equal to the backtest's" % (len(accepted), limited, len(flood_ok), len(bt_fills)))
shutil.rmtree(T)
