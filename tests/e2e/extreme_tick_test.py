#!/usr/bin/env python3
"""A live paper session holding a USD/CHF position receives market-data ticks no account could
hold, as a hostile or broken feed would send them: trades at 10,000,000 and 9,200,000,000.

Checks, against the real binary over real sockets (this script is the feed server, keel the
client; a TradingView-style alert opens the position):
  - keel keeps running and keeps trading on the ticks that follow;
  - both ticks are refused by the feed's sanity band and journaled as tick_refused inputs with
    the price, the band and the reason; no stage sees them (no mark or fill at those prices);
  - `keel replay --verify` passes on the journal, and a restart on it continues the session
    (and verifies again).
Usage: extreme_tick_test.py KEEL SRC
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
import tempfile
import time

KEEL, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
T = tempfile.mkdtemp(prefix="keel_extreme_tick_")
SECRET = "planted-webhook-secret-0b7d2e91"
TOKEN = "planted-control-token-5c8a1f37"
procs = []
T0 = 1_700_000_000_000_000_000  # event time of the first tick (ns)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    for p in procs:
        if p.poll() is None:
            p.kill()
    for name in sorted(os.listdir(T)):
        if name.endswith(".err"):
            print("--- " + name, file=sys.stderr)
            print(open(os.path.join(T, name), errors="replace").read()[-3000:], file=sys.stderr)
    sys.exit(1)


def wait_for(what, cond, timeout=60.0):
    """Polls an observable condition until it holds (a deadline, not a sleep as sync)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    fail("timed out waiting for " + what)


class Feed:
    """The market-data server keel connects to: one JSON trade per line."""

    def __init__(self, port=0):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.conn = None
        self.n = 0

    def accept(self):
        self.listener.settimeout(60)
        self.conn, _ = self.listener.accept()

    def trade(self, price):
        self.n += 1
        line = {"type": "trade", "symbol": "USDCHF", "ts": T0 + self.n * 1_000_000_000,
                "price": price, "size": "1000"}
        self.conn.sendall((json.dumps(line) + "\n").encode())

    def close(self):
        if self.conn:
            self.conn.close()
        self.listener.close()


def write_config(feed_port):
    cfg = json.load(open(os.path.join(SRC, "config", "paper.json")))
    cfg["feed"]["port"] = feed_port
    cfg["webhook"]["port"] = 0
    cfg["webhook"]["secret"] = SECRET
    cfg["control"]["port"] = 0
    cfg["control"]["token"] = TOKEN
    cfg["strategies"] = [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}]
    path = os.path.join(T, "extreme.json")
    json.dump(cfg, open(path, "w"))
    return path


class Keel:
    def __init__(self, name, config, journal):
        self.err = os.path.join(T, name + ".err")
        self.p = subprocess.Popen([KEEL, "run", "--config", config, "--journal", journal],
                                  stdout=open(os.path.join(T, name + ".out"), "w"),
                                  stderr=open(self.err, "w"))
        procs.append(self.p)
        self.webhook = wait_for(name + " webhook port",
                                lambda: self.port(r"webhook listening on http://127\.0\.0\.1:(\d+)"))
        self.control = wait_for(name + " control port",
                                lambda: self.port(r"control API listening on http://127\.0\.0\.1:(\d+)"))

    def port(self, pattern):
        if self.p.poll() is not None:
            fail("keel run exited with %d" % self.p.returncode)
        m = re.search(pattern, open(self.err).read())
        return int(m.group(1)) if m else None

    def running(self):
        if self.p.poll() is not None:
            fail("keel run exited with %d after the extreme ticks" % self.p.returncode)
        return True

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        return self.p.wait(timeout=60)


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    except OSError as e:
        fail("%s %s on port %d: %s" % (method, path, port, e))
    finally:
        c.close()


def position(k):
    status, body = request(k.control, "GET", "/api/positions", None,
                           {"Authorization": "Bearer " + TOKEN})
    if status == 503 and "not_ready" in body:
        return None  # the session has not published its state yet
    if status != 200:
        fail("/api/positions answered %d: %s" % (status, body))
    for p in json.loads(body).get("positions", []):
        if p.get("symbol") == "USDCHF":
            return p
    return None


def dump(journal, stream):
    out = subprocess.run([KEEL, "journal", "dump", journal, "--stream", stream],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail("journal dump: " + out.stderr)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def verify(journal, when):
    out = subprocess.run([KEEL, "replay", journal, "--verify"], capture_output=True, text=True)
    if out.returncode != 0:
        fail("replay --verify %s exited %d: %s%s" % (when, out.returncode, out.stdout, out.stderr))


def long_position(k):
    p = position(k)
    return p if p and float(p.get("quantity", 0)) > 0 else None


def main():
    journal = os.path.join(T, "journal")
    feed = Feed()
    config = write_config(feed.port)
    k = Keel("first", config, journal)
    feed.accept()
    for price in ("1.2000", "1.2001", "1.2002"):
        feed.trade(price)
    # The feed and the webhook are separate connections: the alert must come after the trades
    # (risk prices the market order by the last trade), so wait until they are journaled.
    wait_for("the first trades in the journal",
             lambda: sum(1 for r in dump(journal, "input") if r["type"] == "trade") >= 3)
    status, body = request(k.webhook, "POST", "/webhook/tradingview",
                           json.dumps({"ticker": "USDCHF", "action": "buy", "quantity": "1000",
                                       "id": "open-1", "secret": SECRET}),
                           {"Content-Type": "text/plain"})
    if status != 200:
        fail("the opening alert answered %d: %s" % (status, body))
    # The market order fills on the next tick; send ticks until the position shows.
    wait_for("the USDCHF position", lambda: (feed.trade("1.2003"), long_position(k))[1])

    feed.trade("10000000")
    feed.trade("9200000000")
    feed.trade("1.2004")
    status, body = request(k.webhook, "POST", "/webhook/tradingview",
                           json.dumps({"ticker": "USDCHF", "action": "sell", "quantity": "1000",
                                       "id": "close-1", "secret": SECRET}),
                           {"Content-Type": "text/plain"})
    if status != 200:
        fail("the closing alert answered %d: %s" % (status, body))
    wait_for("the USDCHF position to close",
             lambda: (feed.trade("1.2005"), k.running() and long_position(k) is None)[1])
    if k.stop() != 0:
        fail("keel run did not exit 0 on SIGTERM")

    inputs = dump(journal, "input")
    refused = [r for r in inputs if r["type"] == "tick_refused"]
    prices = sorted(r["price"] for r in refused)
    if prices != ["10000000", "9200000000"]:
        fail("tick_refused records carry prices %s, expected 10000000 and 9200000000" % prices)
    for r in refused:
        if r["reason"] != "jump" or r["refused_type"] != "trade" or r["anchor"] != "1.2003":
            fail("tick_refused record: %s" % r)
        if not (0 < float(r["low"]) < 1.2003 < float(r["high"]) < 2):
            fail("the band in %s does not surround the last accepted price" % r)
    traded = [r["price"] for r in inputs if r["type"] == "trade"]
    if "10000000" in traded or "9200000000" in traded:
        fail("an extreme tick reached the stages as a trade")
    fills = [r for r in dump(journal, "input") if r["type"] == "venue_fill"]
    if len(fills) < 2 or any(float(f["price"]) > 2 for f in fills):
        fail("fills: %s" % fills)
    verify(journal, "after the first run")

    # A restart continues the session on the same journal (same config, so the same port).
    feed.close()
    feed = Feed(feed.port)
    k = Keel("restart", config, journal)
    feed.accept()
    feed.trade("1.2006")
    wait_for("the restarted session to journal a tick",
             lambda: any(r["type"] == "trade" and r["price"] == "1.2006"
                         for r in dump(journal, "input")))
    if k.stop() != 0:
        fail("the restarted keel run did not exit 0 on SIGTERM")
    after = dump(journal, "input")
    if after[:len(inputs)] != inputs or len(after) <= len(inputs):
        fail("the restart did not continue the journal: its first records changed")
    if sum(1 for r in after if r["type"] == "session_start") != 1:
        fail("the restart started a new session instead of continuing the journal")
    verify(journal, "after the restart")
    feed.close()
    print("extreme ticks: 2 refused and journaled, session kept trading, verify and restart ok")
    shutil.rmtree(T, ignore_errors=True)


main()
