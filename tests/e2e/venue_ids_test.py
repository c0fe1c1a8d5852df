#!/usr/bin/env python3
"""Two consecutive journals of the same config send a venue disjoint ids, though keel's order ids
in them are the same (order ids are journal sequences and restart with every journal): the venue
id is the journal's venue_id_prefix, drawn once per live journal, followed by the order id.

Each session runs config/paper.json (one config file for both) with this script as its feed:
the same three trades, an alert that buys, a trade that fills it, SIGTERM (a restart of the
first journal then sells). Checks, against the
real binary over real sockets:
  - both journals hold the same order ids in their order_sent records;
  - their session_start venue_id_prefix differ, and no venue id (order_sent's venue_id, at most
    20 characters of [0-9a-v], starting with its journal's prefix) is in both;
  - a restart of the first journal keeps its prefix for the orders it sends;
  - each alert's 2 KiB body is its input record's tail (journal dump), the secret masked, and
    the strategy reads the order it asks for from it (the first alert's GTC limit order);
  - replay --verify passes on both journals.
Usage: venue_ids_test.py KEEL SRC
"""
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live_support import (Feed, Keel, alert, alert_body, dump, fail, paper_config, verify,  # noqa: E402
                          wait_for)
import live_support  # noqa: E402

SRC = os.path.abspath(sys.argv[2])
T = live_support.init(sys.argv[1], "keel_venue_ids_")
SECRET = "planted-webhook-secret-3e9d0a64"
TOKEN = "planted-control-token-8b1c7f25"


def count(journal, stream, kind):
    return sum(1 for r in dump(journal, stream) if r["type"] == kind)


NOTE = "n" * 1900  # with the rest, a 2 KiB alert body


def trade_and_order(k, feed, journal, ident, first_price, action, **order):
    """Trades, then an alert (order: its order fields) whose order fills on a following trade."""
    trades = count(journal, "input", "trade")
    orders = count(journal, "gateway", "order_sent")
    fills = count(journal, "input", "venue_fill")
    for i in range(3):
        feed.trade("%.4f" % (first_price + i / 10000))
    # The alert must reach risk after the trades (it prices the market order by the last one).
    wait_for("the trades in the journal", lambda: count(journal, "input", "trade") >= trades + 3)
    status, body = alert(k, SECRET, ident, action, comment=NOTE, strategy="venue-ids", **order)
    if status != 200:
        fail("alert %s answered %d: %s" % (ident, status, body))
    wait_for("the order for " + ident, lambda: count(journal, "gateway", "order_sent") > orders)
    wait_for("the fill for " + ident,
             lambda: (feed.trade("%.4f" % (first_price + 0.0003)),
                      count(journal, "input", "venue_fill") > fills)[1])


def sent(journal):
    """(session_start's venue_id_prefix, [(order_id, venue_id)] of its order_sent records)."""
    records = dump(journal)
    starts = [r["venue_id_prefix"] for r in records if r["type"] == "session_start"]
    if len(starts) != 1 or not re.fullmatch(r"[0-9a-v]{7}", starts[0]):
        fail("%s: session_start venue_id_prefix %s" % (journal, starts))
    orders = [(int(r["order_id"]), r["venue_id"]) for r in records if r["type"] == "order_sent"]
    for oid, vid in orders:
        if not re.fullmatch(r"[0-9a-v]{8,20}", vid) or not vid.startswith(starts[0]):
            fail("%s: order %d was sent as '%s', not an id under the prefix %s" %
                 (journal, oid, vid, starts[0]))
    return starts[0], orders


def session(name, config, journal, feed, ident, price, action="buy", **order):
    k = Keel(name, config, journal)
    feed.accept()
    trade_and_order(k, feed, journal, ident, price, action, **order)
    if k.stop() != 0:
        fail("%s: keel run did not exit 0 on SIGTERM" % name)


feed = Feed()
config = paper_config(SRC, "paper", feed.port, SECRET, TOKEN,
                      [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}])
J1, J2 = os.path.join(T, "j1"), os.path.join(T, "j2")
# The buy asks for a GTC limit above the market (it fills on the next trade), in its body only.
LIMIT = {"order_type": "limit", "limit_price": "1.2010", "time_in_force": "gtc"}
session("first", config, J1, feed, "v1", 1.2000, **LIMIT)
session("second", config, J2, feed, "v1", 1.2000, **LIMIT)

prefix1, sent1 = sent(J1)
prefix2, sent2 = sent(J2)
orders1, orders2 = {o for o, _ in sent1}, {o for o, _ in sent2}
if not orders1 or orders1 != orders2:
    fail("the two journals should hold the same order ids: %s and %s" % (sorted(orders1),
                                                                        sorted(orders2)))
ids1, ids2 = {v for _, v in sent1}, {v for _, v in sent2}
if prefix1 == prefix2 or ids1 & ids2:
    fail("two journals of the same config sent the same venue ids: prefixes %s and %s, shared %s"
         % (prefix1, prefix2, sorted(ids1 & ids2)))

# A restart continues the first journal: its new order goes out under the journal's prefix.
session("restart", config, J1, feed, "v2", 1.2100, "sell")  # closes v1's position
prefix1b, sent1b = sent(J1)
if prefix1b != prefix1 or len(sent1b) <= len(sent1):
    fail("the restart of journal 1: prefix %s (was %s), %d orders sent (were %d)" %
         (prefix1b, prefix1, len(sent1b), len(sent1)))
# The alert's body is its input record's tail, the secret masked.
sent_body = json.loads(alert_body("<redacted>", "v1", comment=NOTE, strategy="venue-ids", **LIMIT))
for j in (J1, J2):
    tails = [r.get("tail") for r in dump(j, "input") if r["type"] == "alert"]
    if not tails or tails[0] is None or json.loads(tails[0]) != sent_body:
        fail("%s: the alert record's tail is %s, not the body sent (secret masked)" %
             (j, (tails[0] or "")[:200] if tails else "missing"))
    if len(tails[0]) < 2000 or SECRET in tails[0]:
        fail("%s: the alert tail is %d bytes and %s the secret" %
             (j, len(tails[0]), "holds" if SECRET in tails[0] else "lacks"))
    first = next(r for r in dump(j, "gateway") if r["type"] == "order_sent")
    if (first["order_type"], first["tif"], first["price"]) != ("limit", "gtc", "1.201"):
        fail("%s: the alert's order went out as %s %s at %s, not the GTC limit at 1.2010 its "
             "body asked for" % (j, first["order_type"], first["tif"], first["price"]))
verify(J1, "of journal 1")
verify(J2, "of journal 2")
feed.close()
print("venue ids: order ids %s in both journals, sent as %s and %s; the restart kept %s" %
      (sorted(orders1), sorted(ids1), sorted(ids2), prefix1))
shutil.rmtree(T, ignore_errors=True)
