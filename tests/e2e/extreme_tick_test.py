#!/usr/bin/env python3
"""A live paper session holding a USD/CHF position receives market-data ticks no account could
hold, as a hostile or broken feed would send them: trades at 10,000,000 and 9,200,000,000.

Checks, against the real binary over real sockets (this script is the feed server, keel the
client; a TradingView-style alert opens the position):
  - keel keeps running and keeps trading on the ticks that follow;
  - both ticks are refused by the feed's sanity band and journaled as tick_refused inputs with
    the price, the band and the reason; no stage sees them (no mark or fill at those prices);
  - `keel replay --verify` passes on the journal, and a restart on it continues the session
    (and verifies again), its band anchored at the journal's last accepted price.
Usage: extreme_tick_test.py KEEL SRC
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_support import Feed, Keel, dump, fail, paper_config, request, verify, wait_for  # noqa: E402
import live_support  # noqa: E402

SRC = os.path.abspath(sys.argv[2])
T = live_support.init(sys.argv[1], "keel_extreme_tick_")
SECRET = "planted-webhook-secret-0b7d2e91"
TOKEN = "planted-control-token-5c8a1f37"


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


def long_position(k):
    p = position(k)
    return p if p and float(p.get("quantity", 0)) > 0 else None


def main():
    journal = os.path.join(T, "journal")
    feed = Feed()
    config = paper_config(SRC, "extreme", feed.port, SECRET, TOKEN,
                          [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}])
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

    # A restart continues the session on the same journal (same config, so the same port), its
    # band anchored at the last price the journal accepted: the first tick after it is held to
    # 1.2005 (unseeded, it would have been accepted as the new anchor).
    k = Keel("restart", config, journal)
    feed.accept()
    feed.trade("10000000")
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
    refused_after = [r for r in after[len(inputs):] if r["type"] == "tick_refused"]
    if len(refused_after) != 1 or refused_after[0]["anchor"] != "1.2005" or \
            refused_after[0]["price"] != "10000000":
        fail("after the restart, tick_refused records %s (expected 10000000 refused against "
             "the journal's last price 1.2005)" % refused_after)
    verify(journal, "after the restart")
    feed.close()
    print("extreme ticks: 2 refused and journaled, session kept trading, verify and restart ok")
    shutil.rmtree(T, ignore_errors=True)


main()
