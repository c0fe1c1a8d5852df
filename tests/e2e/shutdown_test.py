#!/usr/bin/env python3
"""The stop policy (config `shutdown`), with the real binary, two accounts and this script as
the market-data feed:
  - with `flatten: true`, SIGTERM journals a kill with flatten for every account (an input from
    source engine), the flatten orders fill on the next trades, the kill is lifted, and keel
    exits 0 reporting the policy done (stderr and summary); every account's fills net to zero
    in the journal, a restart on it holds no position and is not killed, and replay --verify
    passes;
  - when the positions cannot be closed by the deadline (no market data after the signal), keel
    exits 1 naming what is not flat, and the kill stays in the journal.
Usage: shutdown_test.py KEEL SRC
"""
import json
import os
import signal
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import Feed, Keel, alert, dump, fail, paper_config, request, verify, wait_for  # noqa: E402

T = live_support.init(sys.argv[1], "keel_shutdown_")
SRC = os.path.abspath(sys.argv[2])
SECRET = os.urandom(16).hex()
TOKEN = os.urandom(16).hex()
AUTH = {"Authorization": "Bearer " + TOKEN}
prices = {"USDCHF": 0.9000, "EURUSD": 1.1000}


def config(name, feed, deadline_ms):
    path = paper_config(SRC, name, feed.port, SECRET, TOKEN, strategies=[
        {"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000", "account": "a"},
        {"type": "alert_follower", "symbols": ["EURUSD"], "quantity": "2000", "account": "b"}])
    cfg = json.load(open(path))
    venue = cfg.pop("venue")
    cfg["symbols"]["EURUSD"] = {"tick_size": "0.0001"}
    cfg["accounts"] = [{"name": "a", "venue": venue}, {"name": "b", "venue": venue}]
    cfg["shutdown"] = {"flatten": True, "deadline_ms": deadline_ms}
    json.dump(cfg, open(path, "w"))
    return path


def count(journal, stream, kind, symbol=None):
    return sum(1 for r in dump(journal, stream)
               if r["type"] == kind and (symbol is None or r.get("symbol") == symbol))


def trade(feed, symbol):
    prices[symbol] += 0.0001
    feed.symbol = symbol
    feed.trade("%.4f" % prices[symbol])


def buy(k, feed, journal, symbol, ident):
    """A trade, an alert that buys, and trades until its order fills."""
    trade(feed, symbol)
    wait_for("the trade", lambda: count(journal, "input", "trade", symbol) > 0)
    fills = count(journal, "input", "venue_fill", symbol)
    status, body = alert(k, SECRET, ident, "buy", symbol=symbol,
                         quantity="1000" if symbol == "USDCHF" else "2000")
    if status != 200:
        fail("alert %s answered %d: %s" % (ident, status, body))
    wait_for("the fill of " + ident, lambda: (trade(feed, symbol), count(
        journal, "input", "venue_fill", symbol) > fills)[1])


def positions(k):
    body = json.loads(request(k.control, "GET", "/api/positions", None, AUTH)[1])
    return {(p["account"], p["symbol"]): p["quantity"] for p in body["positions"]}


def policy_commands(journal):
    return [(r["code"], r.get("arg"), r.get("account", 0)) for r in dump(journal, "input")
            if r["type"] == "command" and r.get("source") == "engine"]


def net_fills(journal):
    """Per (account, symbol), what the venue's fills add up to (buys less sells)."""
    net, fills = {}, 0
    for r in dump(journal, "input"):
        if r["type"] == "venue_fill":
            key = (r.get("account", 0), r.get("symbol"))
            q = Decimal(r["quantity"])
            net[key] = net.get(key, 0) + (q if r["side"] == "buy" else -q)
            fills += 1
    return net, fills


# --- 1. flatten on SIGTERM, with market data to fill it --------------------------------------
feed = Feed()
cfg1 = config("flatten", feed, 15000)
j1 = os.path.join(T, "j1")
k = Keel("flatten", cfg1, j1)
feed.accept()
buy(k, feed, j1, "USDCHF", "a-1")
buy(k, feed, j1, "EURUSD", "b-1")
wait_for("both positions", lambda: positions(k) == {("a", "USDCHF"): "1000", ("b", "EURUSD"): "2000"})
k.p.send_signal(signal.SIGTERM)


def traded_until_exit():
    # The flatten orders are market orders: they fill on the next trades, which a live feed
    # sends and this one sends until keel has stopped (it drops the feed once flat).
    try:
        trade(feed, "USDCHF")
        trade(feed, "EURUSD")
    except OSError:
        pass
    return k.p.poll() is not None


wait_for("keel to stop", traded_until_exit)
if k.p.returncode != 0:
    fail("keel run exited %d after a completed stop policy" % k.p.returncode)
err = open(k.err).read()
out = open(os.path.join(T, "flatten.out")).read()
if "shutdown (flatten): done in" not in err or "shutdown    flatten: done in" not in out:
    fail("the stop policy was not reported done:\n" + err[-2000:] + out[-2000:])
if policy_commands(j1) != [("kill", 1, 0), ("unkill", 0, 0)]:
    fail("the policy journaled %s, not a kill with flatten and its unkill for every account" %
         policy_commands(j1))
net, fills = net_fills(j1)
if set(net) != {(0, "USDCHF"), (1, "EURUSD")} or any(q != 0 for q in net.values()) or fills != 4:
    fail("the venue's %d fills do not net to flat: %s" % (fills, net))
verify(j1, "after the stop policy")

# The restart holds nothing and trades again (the kill was lifted); with nothing to do, its own
# stop policy is done at once.
k = Keel("restart", cfg1, j1)
feed.accept()
wait_for("the restart's state", lambda: json.loads(
    request(k.control, "GET", "/api/status", None, AUTH)[1]).get("accounts"))
status = json.loads(request(k.control, "GET", "/api/status", None, AUTH)[1])
if any(a["risk"]["killed"] for a in status["accounts"]):
    fail("the restart came up killed: %s" % status["accounts"])
if any(q != "0" for q in positions(k).values()):
    fail("the restart holds %s" % positions(k))
if k.stop() != 0:
    fail("the restart did not exit 0 on SIGTERM")

# --- 2. no market data after the signal: not flat by the deadline ----------------------------
cfg2 = config("stuck", feed, 300)
j2 = os.path.join(T, "j2")
k = Keel("stuck", cfg2, j2)
feed.accept()
buy(k, feed, j2, "USDCHF", "a-1")
rc = k.stop()
err = open(k.err).read()
if rc != 1 or "NOT complete by its deadline (300 ms)" not in err or \
        "account a: USDCHF position 1000 not flat" not in err:
    fail("an incomplete flatten: exit %d, stderr:\n%s" % (rc, err[-2000:]))
if "account a: USDCHF position 1000 not flat" not in open(os.path.join(T, "stuck.out")).read():
    fail("the summary does not name the position left open")
if policy_commands(j2) != [("kill", 1, 0)]:
    fail("an incomplete policy journaled %s (the kill must stay)" % policy_commands(j2))
verify(j2, "after an incomplete stop policy")
feed.close()
print("shutdown: SIGTERM flattened both accounts (journal and venue fills flat, restart neither "
      "killed nor holding); an unfillable flatten reported by name with exit 1, its kill kept")
