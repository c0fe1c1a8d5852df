#!/usr/bin/env python3
"""The simulated venue on its own thread behind the asynchronous seam (venue.threaded: true)
trades as the synchronous simulator does, driven as a user drives keel:
  - config/demo.json backtested both ways: every input record after session_start (whose
    config differs by the one key) is the same, so the same replies at the same places, and
    the summaries' orders, fills, P&L, account and positions are equal; replay --verify passes
    on the threaded journal;
  - config/paper.json live both ways, with this script as its feed and TradingView alerts over
    HTTP (buy, sell, buy, sell, each filled by a following trade before the next): the same
    fills (side, price, quantity) and the same positions, cash and P&L in the summaries; the
    threaded summary hands every order and market event to the venue thread and leaves
    nothing in doubt at stop, and /metrics counts the venue thread's seam (promtool-clean);
    replay --verify passes on the live threaded journal.
Usage: threaded_venue_test.py KEEL SRC
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import (Feed, Keel, alert, dump, fail, paper_config, request, verify,  # noqa: E402
                          wait_for)

T = live_support.init(sys.argv[1], "keel_threaded_venue_")
KEEL, SRC = live_support.KEEL, os.path.abspath(sys.argv[2])
SECRET = "planted-webhook-secret-5c0b7e19"
TOKEN = "planted-control-token-2a6f9d83"
SUMMARY_KEYS = ("  orders  ", "  fills  ", "  P&L  ", "  account  ", "    USDCHF  ", "    MSFT  ")


def summary_lines(text):
    return {k: " ".join(line.split()) for line in text.splitlines() for k in SUMMARY_KEYS
            if k in line}


def same_summaries(what, a, b):
    sa, sb = summary_lines(a), summary_lines(b)
    if len(sa) < 3 or sa != sb:
        fail("%s: the summaries differ:\nsynchronous %s\nthreaded    %s" % (what, sa, sb))


def without_start(records):
    """Input records after session_start, without what differs by the config (venue ids)."""
    out = []
    for r in records:
        if r["stream"] == "input" and r["type"] != "session_start":
            out.append(r)
    return out


# --- 1. config/demo.json backtested on both venues ------------------------------------------
outs = {}
for threaded in (False, True):
    name = "threaded" if threaded else "sync"
    p = subprocess.run([KEEL, "backtest", "--config", os.path.join(SRC, "config", "demo.json"),
                        "--set", "venue.threaded=%s" % ("true" if threaded else "false"),
                        "--journal", os.path.join(T, "bt_" + name)],
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        fail("backtest (%s): exit %d %s" % (name, p.returncode, p.stderr))
    outs[name] = p.stdout
same_summaries("demo backtest", outs["sync"], outs["threaded"])
inputs_sync = without_start(dump(os.path.join(T, "bt_sync"), "input"))
inputs_threaded = without_start(dump(os.path.join(T, "bt_threaded"), "input"))
if inputs_sync != inputs_threaded:
    first = next(i for i, (a, b) in enumerate(zip(inputs_sync, inputs_threaded)) if a != b) \
        if len(inputs_sync) == len(inputs_threaded) else min(len(inputs_sync), len(inputs_threaded))
    fail("demo backtest: the input journals differ first at input %d:\n%s\n%s" %
         (first, inputs_sync[first:first + 1], inputs_threaded[first:first + 1]))
replies = sum(1 for r in inputs_sync if r["source"] == "venue")
verify(os.path.join(T, "bt_threaded"), "of the threaded demo backtest")


# --- 2. config/paper.json live on both venues -----------------------------------------------
def count(journal, stream, kind):
    return sum(1 for r in dump(journal, stream) if r["type"] == kind)


def live(name, threaded, feed):
    config = paper_config(SRC, name, feed.port, SECRET, TOKEN)
    cfg = json.load(open(config))
    cfg["venue"]["threaded"] = threaded
    json.dump(cfg, open(config, "w"))
    journal = os.path.join(T, name)
    k = Keel(name, config, journal)
    feed.accept()
    price = 0.9000
    for i, action in enumerate(("buy", "sell", "buy", "sell")):
        trades = count(journal, "input", "trade")
        for _ in range(3):
            price += 0.0001
            feed.trade("%.4f" % price)
        # The alert must reach risk after the trades (it prices the market order by the last).
        wait_for("the trades", lambda: count(journal, "input", "trade") >= trades + 3)
        orders = count(journal, "gateway", "order_sent")
        fills = count(journal, "input", "venue_fill")
        status, body = alert(k, SECRET, "%s-%d" % (action, i), action)
        if status != 200:
            fail("%s: alert answered %d: %s" % (name, status, body))
        wait_for("the order", lambda: count(journal, "gateway", "order_sent") > orders)
        price += 0.0001
        feed.trade("%.4f" % price)  # fills it
        wait_for("the fill", lambda: count(journal, "input", "venue_fill") > fills)
    metrics = request(k.control, "GET", "/metrics", None,
                      {"Authorization": "Bearer " + TOKEN})[1]
    if threaded:
        m = re.search(r"^keel_venue_requests_total (\d+)$", metrics, re.M)
        if not m or int(m.group(1)) == 0 or "keel_venue_wakes_total" not in metrics:
            fail("%s: /metrics lacks the venue thread's counters" % name)
        if shutil.which("promtool"):
            check = subprocess.run(["promtool", "check", "metrics"], input=metrics,
                                   capture_output=True, text=True)
            if check.returncode != 0:
                fail("promtool check metrics: " + check.stdout + check.stderr)
    elif "keel_venue_" in metrics:
        fail("%s: /metrics has venue thread counters without a venue thread" % name)
    if k.stop() != 0:
        fail("%s: keel run did not exit 0 on SIGTERM" % name)
    out = open(os.path.join(T, name + ".out")).read()
    fills = [(r["side"], r["price"], r["quantity"]) for r in dump(journal, "input")
             if r["type"] == "venue_fill"]
    return out, fills, journal


feed = Feed()
sync_out, sync_fills, _ = live("paper_sync", False, feed)
thr_out, thr_fills, thr_journal = live("paper_threaded", True, feed)
feed.close()
if len(sync_fills) < 4 or sync_fills != thr_fills:
    fail("paper: fills differ: synchronous %s, threaded %s" % (sync_fills, thr_fills))
same_summaries("paper", sync_out, thr_out)
thread_line = next((l for l in thr_out.splitlines() if l.startswith("  venue thread ")), "")
if "in doubt at stop 0" not in thread_line or " 0 requests handed over" in thread_line:
    fail("paper: the threaded summary's venue thread line: '%s'" % thread_line)
verify(thr_journal, "of the live threaded session")
print("threaded venue: demo backtest %d inputs (%d venue replies) equal to the synchronous "
      "simulator's; paper session %d fills equal; %s" %
      (len(inputs_sync), replies, len(thr_fills), thread_line.strip()))
shutil.rmtree(T, ignore_errors=True)
