#!/usr/bin/env python3
"""Two accounts in a live paper session, driven as a user drives keel: config/paper.json with
`accounts` ("a": USDCHF on a simulated venue on its own thread; "b": EURUSD on a synchronous
one), this script as the feed, TradingView alerts over HTTP and the control API:
  - an alert per symbol buys in its strategy's account; /api/positions lists each position
    with its account;
  - POST /api/kill {"flatten":true,"account":"b"} kills "b" only: its position is flattened,
    its next alert's order is refused kill_switch, while "a" closes its position and fills;
    /api/status shows "b" killed and "a" active;
  - an unknown account is answered 400 naming the accounts, and nothing is journaled for it;
  - the summary prints each account; replay --verify passes on the live journal.
Usage: accounts_live_test.py KEEL SRC
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import (Feed, Keel, alert, dump, fail, paper_config, request, verify,  # noqa: E402
                          wait_for)

T = live_support.init(sys.argv[1], "keel_accounts_live_")
SRC = os.path.abspath(sys.argv[2])
SECRET = "planted-webhook-secret-71d2c0e5"
TOKEN = "planted-control-token-93b4a6f1"
AUTH = {"Authorization": "Bearer " + TOKEN}


def count(journal, stream, kind, symbol=None):
    return sum(1 for r in dump(journal, stream)
               if r["type"] == kind and (symbol is None or r.get("symbol") == symbol))


feed = Feed()
config = paper_config(SRC, "accounts", feed.port, SECRET, TOKEN, strategies=[
    {"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000", "account": "a"},
    {"type": "alert_follower", "symbols": ["EURUSD"], "quantity": "2000", "account": "b"}])
cfg = json.load(open(config))
venue = cfg.pop("venue")
cfg["symbols"]["EURUSD"] = {"tick_size": "0.0001"}
cfg["accounts"] = [{"name": "a", "venue": dict(venue, threaded=True, idle="yield")},
                   {"name": "b", "starting_cash": "50000", "venue": venue}]
json.dump(cfg, open(config, "w"))
journal = os.path.join(T, "journal")
k = Keel("accounts", config, journal)
feed.accept()
prices = {"USDCHF": 0.9000, "EURUSD": 1.1000}


def trade(symbol):
    prices[symbol] += 0.0001
    feed.symbol = symbol
    feed.trade("%.4f" % prices[symbol])


def order(symbol, ident, action="buy", expect_fill=True):
    """Trades, an alert (buy, or close), and a trade that fills its order (when it is sent)."""
    trades = count(journal, "input", "trade")
    for _ in range(2):
        trade(symbol)
    wait_for("the trades", lambda: count(journal, "input", "trade") >= trades + 2)
    decided = count(journal, "risk", "order_request") + count(journal, "risk", "risk_reject")
    fills = count(journal, "input", "venue_fill", symbol)
    status, body = alert(k, SECRET, ident, action, symbol=symbol,
                         quantity="1000" if symbol == "USDCHF" else "2000")
    if status != 200:
        fail("alert %s answered %d: %s" % (ident, status, body))
    wait_for("risk's decision on " + ident, lambda: count(journal, "risk", "order_request") +
             count(journal, "risk", "risk_reject") > decided)
    if expect_fill:
        wait_for("the fill of " + ident, lambda: (trade(symbol), count(
            journal, "input", "venue_fill", symbol) > fills)[1])


def api(method, path, body=None):
    return request(k.control, method, path, body, AUTH)


def held_when(want):
    """The positions by (account, symbol) once the published state shows want (it is refreshed
    from a snapshot of the pipeline, after the fill)."""
    seen = []

    def check():
        seen[:] = json.loads(api("GET", "/api/positions")[1])["positions"]
        return {(p["account"], p["symbol"]): p["quantity"] for p in seen} == want
    wait_for("positions %s (last seen %s)" % (want, seen), check)


order("USDCHF", "a-1")
order("EURUSD", "b-1")
held_when({("a", "USDCHF"): "1000", ("b", "EURUSD"): "2000"})

commands = count(journal, "input", "command")
status, body = api("POST", "/api/kill", json.dumps({"flatten": True, "account": "bonds"}))
if status != 400 or "unknown account 'bonds' (accounts: a, b)" not in body:
    fail("kill of an unknown account answered %d: %s" % (status, body))
status, body = api("POST", "/api/kill", json.dumps({"flatten": True, "account": "b"}))
if status != 200:
    fail("kill of b answered %d: %s" % (status, body))
if count(journal, "input", "command") != commands + 1:
    fail("the refused kill was journaled, or the accepted one was not")
eur_fills = count(journal, "input", "venue_fill", "EURUSD")
wait_for("b's flatten fill", lambda: (trade("EURUSD"), count(
    journal, "input", "venue_fill", "EURUSD") > eur_fills)[1])
order("EURUSD", "b-2", expect_fill=False)
refused = [r for r in dump(journal, "risk") if r["type"] == "risk_reject"]
if [r.get("symbol") for r in refused] != ["EURUSD"] or refused[0]["reason"] != "kill_switch":
    fail("after b's kill, risk refused %s" % refused)
order("USDCHF", "a-2", "close")
held_when({("a", "USDCHF"): "0", ("b", "EURUSD"): "0"})
status = json.loads(api("GET", "/api/status")[1])
killed = {a["name"]: a["risk"]["killed"] for a in status["accounts"]}
if killed != {"a": False, "b": True}:
    fail("/api/status accounts: %s" % status["accounts"])
if k.stop() != 0:
    fail("keel run did not exit 0 on SIGTERM")
feed.close()
out = open(os.path.join(T, "accounts.out")).read()
lines = [line for line in out.splitlines() if line.startswith("  account     ")]
if len(lines) != 3 or "a: " not in lines[1] or "b: " not in lines[2] or "risk killed" not in lines[2]:
    fail("the summary's account lines: %s" % lines)
verify(journal, "of the live two-account session")
print("accounts live: a bought and closed, b bought, was killed and flattened, its next order refused "
      "kill_switch; /api/status and /api/positions per account; verify ok")
