#!/usr/bin/env python3
"""A live session trading through FIX: `keel fix-venue` (the test venue, a QuickFIX acceptor
over the simulated venue's matching) and `keel run` on config/fix.json, both priced by one feed
this script drives tick by tick, sma_cross on MSFT and TradingView alerts on USDCHF. At the end
keel's fills and positions equal the venue's own account, the venue saw no ClOrdID twice, and
`keel replay --verify` passes on the journal.

Usage: fix_venue_test.py KEEL SOURCE_DIR
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402
import fix_support as fs  # noqa: E402
from fix_support import Feeds, fix_config, sine, start_venue  # noqa: E402

KILL_AT = (20, 37, 60, 75, 100)  # 20, 60, 100: right after an alert


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
    rc = k.stop()
    if rc != 0:
        ls.fail("keel run exited %d at SIGTERM" % rc)
    account = fs.stop_venue(venue, account_path)
    fills = fs.compare_with_venue(ls.dump(journal, "input"), account, "the FIX session")
    if not fills:
        ls.fail("no fills: the session traded nothing")
    if account["duplicate_cl_ord_ids"] != 0:
        ls.fail("the venue saw %d duplicate ClOrdIDs" % account["duplicate_cl_ord_ids"])
    ls.verify(journal, "after the FIX session")
    print("ok: %d fills through FIX equal the venue's account; replay --verify passes"
          % fills)


if __name__ == "__main__":
    main()
