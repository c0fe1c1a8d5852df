#!/usr/bin/env python3
"""A live session trading through FIX: `keel fix-venue` (the test venue, a QuickFIX acceptor
over the simulated venue's matching) and `keel run` on config/fix.json, both priced by one feed
this script drives tick by tick, sma_cross on MSFT and TradingView alerts on USDCHF. At the end
keel's fills and positions equal the venue's own account, the venue saw no ClOrdID twice, and
`keel replay --verify` passes on the journal.

Usage: fix_venue_test.py KEEL SOURCE_DIR
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402

T0 = ls.T0
KILL_AT = (20, 37, 60, 75, 100)  # 20, 60, 100: right after an alert


class Feed:
    """A market-data server for one client at a time (keel, or the venue): the script sends
    every tick to both, with the same times."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(2)
        self.port = self.listener.getsockname()[1]
        self.conn = None

    def accept(self):
        """The next client (a restarted keel connects again)."""
        if self.conn:
            self.conn.close()
        self.listener.settimeout(60)
        self.conn, _ = self.listener.accept()

    def send(self, data):
        self.conn.sendall(data)


class Feeds:
    def __init__(self):
        self.keel = Feed()
        self.venue = Feed()
        self.n = 0

    def send(self, line):
        self.n += 1
        line["ts"] = T0 + self.n * 1_000_000_000
        data = (json.dumps(line) + "\n").encode()
        self.keel.send(data)
        self.venue.send(data)

    def trade(self, symbol, price):
        self.send({"type": "trade", "symbol": symbol, "price": price, "size": "1000000"})

    def bar(self, symbol, close):
        # A one-minute bar around its close (sma_cross trades on bars).
        c = float(close)
        self.send({"type": "bar", "symbol": symbol, "open": "%.4f" % c,
                   "high": "%.4f" % (c + 0.5), "low": "%.4f" % (c - 0.5), "close": "%.4f" % c,
                   "volume": "1000000", "interval": "1m"})


def start_venue(feed_port, store, account):
    err = os.path.join(ls.T, "venue.err")
    out = os.path.join(ls.T, "venue.out")
    p = subprocess.Popen([ls.KEEL, "fix-venue", "--listen", "127.0.0.1:0", "--symbols",
                          "MSFT,USDCHF", "--feed", "127.0.0.1:%d" % feed_port, "--store", store,
                          "--account", account],
                         stdout=open(out, "w"), stderr=open(err, "w"))
    ls.procs.append(p)

    def port():
        if p.poll() is not None:
            ls.fail("keel fix-venue exited with %d" % p.returncode)
        m = re.search(r"on 127\.0\.0\.1:(\d+)", open(out).read())
        return int(m.group(1)) if m else None
    return p, ls.wait_for("the venue's port", port)


def fix_config(src, feed_port, venue_port):
    cfg = json.load(open(os.path.join(src, "config", "fix.json")))
    cfg["feed"]["port"] = feed_port
    cfg["venue"]["port"] = venue_port
    cfg["webhook"]["port"] = 0
    del cfg["webhook"]["secret"]
    cfg["control"]["port"] = 0
    del cfg["control"]["token"]
    path = os.path.join(ls.T, "fix.json")
    json.dump(cfg, open(path, "w"))
    ls.SECRETS[path] = ("fix-test-secret-0123456789", "fix-test-token-0123456789")
    return path


def keel_fills(journal):
    fills = []
    for r in ls.dump(journal, "input"):
        if r.get("type") == "venue_fill":
            fills.append((r["side"], r["quantity"], r["price"]))
    return fills


def venue_fills(account):
    return [(f["side"], f["qty"], f["price"]) for f in account["fills"]]


def sine(i):
    # A slow wave: sma_cross(5, 15) crosses it up and down several times.
    import math
    return "%.4f" % (300 + 10 * math.sin(i / 6.0))


def main():
    keel, src = sys.argv[1], sys.argv[2]
    ls.init(keel, "keel-fix-venue-")
    feed = Feeds()
    account_path = os.path.join(ls.T, "venue-account.json")
    venue, venue_port = start_venue(feed.venue.port, os.path.join(ls.T, "venue-store"),
                                    account_path)
    feed.venue.accept()
    config = fix_config(src, feed.keel.port, venue_port)
    journal = os.path.join(ls.T, "journal")
    k = ls.Keel("keel", config, journal)
    feed.keel.accept()
    ls.wait_for("keel's FIX session ready", lambda: "fix: ready" in open(k.err).read())
    secret = ls.SECRETS[config][0]

    sent = [0]  # trades sent to keel

    def caught_up():
        # keel has journaled every trade sent and every order it sent is answered: each order
        # is at the venue before the next tick, which prices it (market orders fill at the
        # next trade after they arrive).
        records = ls.dump(journal, "all")
        trades = sum(1 for r in records if r.get("type") in ("trade", "bar"))
        out = sum(1 for r in records if r.get("type") == "order_sent" and
                  r.get("action") == "new_order")
        answered = sum(1 for r in records if r.get("type") in ("venue_ack", "venue_reject") and
                       r.get("action") == "new_order")
        return trades == sent[0] and out == answered

    def tick(i):
        feed.bar("MSFT", sine(i))
        feed.trade("USDCHF", "0.9%03d" % (100 + i))
        sent[0] += 2

    for i in range(120):
        tick(i)
        if i in (20, 60, 100):
            status, body = ls.alert(k, secret, "a%d" % i, action="buy" if i != 60 else "sell")
            if status != 200:
                ls.fail("alert %d: %d %s" % (i, status, body))
        if i in KILL_AT:
            # kill -9 while this tick's orders may be in flight, and restart on the same
            # journal: the session continues where it was (its FIX sequence numbers from the
            # journal's fix/ store) and asks the venue about every order it holds open.
            k.p.kill()
            k.p.wait()
            k = ls.Keel("keel-%d" % i, config, journal)
            feed.keel.accept()
            ls.wait_for("the restarted session ready",
                        lambda: "fix: ready" in open(k.err).read())
            sent[0] = sum(1 for r in ls.dump(journal, "input")
                          if r.get("type") in ("trade", "bar"))
        ls.wait_for("keel to journal tick %d and its orders' answers" % i, caught_up)
    # Two more ticks fill what the last signals sent.
    for i in range(120, 122):
        tick(i)
        ls.wait_for("keel to journal tick %d" % i, caught_up)
    # The FIX session's counters in /metrics, as Prometheus reads them.
    status, metrics = ls.request(k.control, "GET", "/metrics",
                                 headers={"Authorization": "Bearer " + ls.SECRETS[config][1]})
    if status != 200:
        ls.fail("/metrics: %d" % status)
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True,
                           text=True)
    if check.returncode != 0:
        ls.fail("promtool check metrics: " + check.stdout + check.stderr)
    for family in ("keel_fix_logons_total 1", "keel_fix_reports_total ",
                   "keel_fix_messages_sent_total "):
        if family not in metrics:
            ls.fail("/metrics has no '%s'" % family)
    k.stop()
    venue.send_signal(signal.SIGTERM)
    venue.wait(timeout=60)
    account = json.load(open(account_path))
    ours = keel_fills(journal)
    theirs = venue_fills(account)
    if not ours:
        ls.fail("no fills: the session traded nothing")
    if sorted(ours) != sorted(theirs):
        ls.fail("keel's fills %s differ from the venue's %s" % (ours, theirs))
    if account["duplicate_cl_ord_ids"] != 0:
        ls.fail("the venue saw %d duplicate ClOrdIDs" % account["duplicate_cl_ord_ids"])
    ls.verify(journal, "after the FIX session")
    print("ok: %d fills through FIX equal the venue's account; replay --verify passes"
          % len(ours))


if __name__ == "__main__":
    main()
