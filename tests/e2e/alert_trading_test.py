#!/usr/bin/env python3
"""A webhook-only paper session (no feed, no data files) trading on TradingView alerts alone,
through the real binary: the simulated venue is priced by the alerts (sim_venue.hpp, "Alert
prices").

Checks:
  - a limit alert with a price (max_order_notional set) passes risk priced by the alert and is
    acked, resting;
  - a market alert with a price fills at that price;
  - a bracket alert (take_profit_offset / stop_loss_ticks) journals the entry and both exits,
    linked by id and role; a later alert's price fills the take-profit and the stop-loss is
    canceled (oco_sibling_filled);
  - paused (POST /api/pause with the token): a closing alert's order passes and fills, an
    opening one is refused `paused`;
  - a market alert with no price for a symbol nothing has priced is refused, journaled;
  - replay --verify passes on the journal.
Usage: alert_trading_test.py KEEL SRC
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import dump, fail, request, wait_for  # noqa: E402

T = live_support.init(sys.argv[1], "keel_alert_trading_")
SRC = os.path.abspath(sys.argv[2])
SECRET = "alert-trading-secret-5c1e9a"
TOKEN = "alert-trading-token-8b27d4f0"
AUTH = {"Authorization": "Bearer " + TOKEN}

cfg = json.load(open(os.path.join(SRC, "config", "paper.json")))
del cfg["feed"]  # webhook only: alerts are the only prices
cfg["webhook"]["port"] = 0
del cfg["webhook"]["secret"]
cfg["control"]["port"] = 0
del cfg["control"]["token"]
cfg["symbols"]["EURUSD"] = {"tick_size": "0.0001"}
cfg["strategies"] = [{"type": "alert_follower", "symbols": ["USDCHF", "MSFT", "EURUSD"],
                      "quantity": "1000"}]
cfg["risk"] = {"max_order_qty": "100000", "max_order_notional": "100000"}
config = os.path.join(T, "alerts.json")
json.dump(cfg, open(config, "w"))
journal = os.path.join(T, "journal")
k = live_support.Keel("keel", config, journal,
                      env=dict(os.environ, KEEL__WEBHOOK__SECRET=SECRET,
                               KEEL__CONTROL__TOKEN=TOKEN))


SEQ = {}  # the input sequence each alert was answered with


def send(ident, action, symbol="USDCHF", quantity="1000", **fields):
    status, body = live_support.alert(k, SECRET, ident, action, quantity, symbol, **fields)
    if status != 200:
        fail("alert %s answered %d: %s" % (ident, status, body))
    SEQ[ident] = json.loads(body)["seq"]


def alert_seq(ident):
    return SEQ[ident]


def records(stream, kind, seq=None):
    return [r for r in dump(journal, stream)
            if r["type"] == kind and (seq is None or r["seq"] == seq)]


def fills_of(order_id):
    return [r for r in dump(journal, "input")
            if r["type"] == "venue_fill" and r.get("order_id") == order_id]


def price(text):
    return round(float(text), 9)


# 1. A limit alert with a price: priced by the alert under max_order_notional, acked, resting.
send("lim-1", "buy", symbol="MSFT", quantity="100", price="412.5", order_type="limit")
seq = alert_seq("lim-1")
approved = wait_for("risk's decision on lim-1", lambda: records("risk", "order_request", seq) or
                    records("risk", "risk_reject", seq))
if approved[0]["type"] != "order_request" or price(approved[0]["price"]) != 412.5:
    fail("the limit alert's order was not approved at 412.5: %s" % approved)
order_id = approved[0]["order_id"]
wait_for("the ack of lim-1", lambda: any(r.get("order_id") == order_id
                                         for r in records("input", "venue_ack")))
if fills_of(order_id):
    fail("a buy limit at the alert's own price filled: %s" % fills_of(order_id))

# 2. A market alert with a price fills at that price.
send("mkt-1", "buy", price="0.8812")
seq = alert_seq("mkt-1")
entry = wait_for("mkt-1's order", lambda: records("risk", "order_request", seq))[0]
fill = wait_for("mkt-1's fill", lambda: fills_of(entry["order_id"]))[0]
if price(fill["price"]) != 0.8812:
    fail("the market alert filled at %s, not 0.8812" % fill["price"])
send("close-1", "close", price="0.8815")
seq = alert_seq("close-1")
close = wait_for("close-1's order", lambda: records("risk", "order_request", seq))[0]
wait_for("close-1's fill", lambda: fills_of(close["order_id"]))

# 3. A bracket: the entry and both exits, linked; a later alert's price fills the take-profit
# and the stop-loss is canceled.
send("br-1", "buy", price="0.8800", take_profit_offset="0.0050", stop_loss_ticks="30")
seq = alert_seq("br-1")
legs = wait_for("br-1's three orders", lambda: len(records("risk", "order_request", seq)) == 3
                and records("risk", "order_request", seq))
by_role = {r.get("role"): r for r in legs}
if set(by_role) != {"entry", "stop_loss", "take_profit"}:
    fail("the bracket's legs: %s" % legs)
ids = {role: r["order_id"] for role, r in by_role.items()}
if ids["stop_loss"] != ids["entry"] + 1 or ids["take_profit"] != ids["entry"] + 2:
    fail("the exits are not linked to their entry by id: %s" % ids)
if price(by_role["take_profit"]["price"]) != 0.885 or \
        price(by_role["stop_loss"]["stop_price"]) != 0.877:
    fail("the exits are not priced from the entry: %s" % legs)
wait_for("the entry's fill", lambda: fills_of(ids["entry"]))
wait_for("both exits sent", lambda: {ids["stop_loss"], ids["take_profit"]} <= {
    r["order_id"] for r in records("gateway", "order_sent")})
send("move-1", "buy", price="0.8860")  # already long: skipped, but its price is the market
tp_fill = wait_for("the take-profit's fill", lambda: fills_of(ids["take_profit"]))[0]
if price(tp_fill["price"]) != 0.885:
    fail("the take-profit filled at %s" % tp_fill["price"])
wait_for("the stop-loss's cancel sent as the sibling of a filled exit",
         lambda: any(r.get("order_id") == ids["stop_loss"] and r.get("action") == "cancel" and
                     r.get("reason") == "oco_sibling_filled"
                     for r in records("gateway", "order_sent")))
wait_for("the stop-loss canceled at the venue",
         lambda: any(r.get("order_id") == ids["stop_loss"]
                     for r in records("input", "venue_cancel")))
if fills_of(ids["stop_loss"]):
    fail("the stop-loss filled too: %s" % fills_of(ids["stop_loss"]))

# 4. Paused is reduce-only.
send("mkt-2", "buy", price="0.8900")
seq = alert_seq("mkt-2")
entry = wait_for("mkt-2's order", lambda: records("risk", "order_request", seq))[0]
wait_for("mkt-2's fill", lambda: fills_of(entry["order_id"]))
status, body = request(k.control, "POST", "/api/pause", "{}", AUTH)
if status != 200:
    fail("pause answered %d: %s" % (status, body))
wait_for("the pause in risk's stream", lambda: any(r.get("reason") == "paused"
                                                     for r in records("risk", "risk_state")))
send("close-2", "close", price="0.8905")
seq = alert_seq("close-2")
close = wait_for("close-2's decision", lambda: records("risk", "order_request", seq) or
                 records("risk", "risk_reject", seq))[0]
if close["type"] != "order_request":
    fail("a closing order was refused while paused: %s" % close)
wait_for("close-2's fill", lambda: fills_of(close["order_id"]))
send("open-3", "buy", price="0.8905")
seq = alert_seq("open-3")
refused = wait_for("open-3's decision", lambda: records("risk", "risk_reject", seq) or
                   records("risk", "order_request", seq))[0]
if refused["type"] != "risk_reject" or refused.get("reason") != "paused":
    fail("an opening order while paused was not refused paused: %s" % refused)
request(k.control, "POST", "/api/resume", "{}", AUTH)

# 5. No price at all: reported, not left resting (risk cannot price it under its notional
# limit; without one the venue rejects it no_market_price, sim_venue_test.cpp).
send("nop-1", "buy", symbol="EURUSD")
seq = alert_seq("nop-1")
refused = wait_for("nop-1's decision", lambda: records("risk", "risk_reject", seq) or
                   records("risk", "order_request", seq))[0]
if refused["type"] != "risk_reject" or refused.get("reason") != "no_reference_price":
    fail("a market alert with no price at all was not refused no_reference_price: %s" % refused)

if k.stop() != 0:
    fail("keel run did not stop cleanly")
live_support.verify(journal, "after the session")
for name in os.listdir(journal):
    if SECRET.encode() in open(os.path.join(journal, name), "rb").read():
        fail("the webhook secret is in " + name)
print("ok: limit acked, market filled at the alert's price, bracket linked and OCO, "
      "pause reduce-only, an unpriced alert refused, verify ok")
