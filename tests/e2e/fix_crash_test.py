#!/usr/bin/env python3
"""Crashes, kills and dropped connections of a live session trading through FIX (`keel run` on
config/fix.json against `keel fix-venue`, both priced by feeds this script drives tick by tick;
sma_cross on MSFT, alerts on USDCHF), each scenario on its own journal and its own venue:
  points   each crash point of the venue seam (KEEL_CRASH_AT=<point>:N, N chosen to land once
           orders are flowing; recovery_rederived in the restart of a journal that crashed at
           input_journaled), then a restart on the same journal;
  kills=N  N kill -9s at random moments of the session (right after a tick and an alert, at a
           random point of an order's round trip, or with everything answered), each followed
           by a restart on the same journal;
  drops=M  M dropped connections: the venue's drop_after fault cuts the connection after every
           few application messages it receives (so always just after an order, cancel or
           status request arrived, with its answer and the orders behind it in flight) and
           keel reconnects. Restarting the venue instead would lose its account (it lives in
           the venue's memory), which the comparison needs. keel's max_resend_age_ms is 300
           here: keel reconnects between at once and reconnect_s (1 s) later, so the resends of
           orders the venue lost fall on both sides of it (delivered PossDup, or gap-filled and
           the order asked about), and the venue counts an order arriving more than 300 ms
           after keel first sent it as late, plus 100 ms: keel judges a resend's age as it
           hands it to QuickFIX, the venue as it reads it, and a loaded machine can stall the
           venue's loop between the two (the oldest arrival is printed).
After each scenario the session is settled (no new signals; ticks until no order is open and
the venue is ready), stopped, and checked; the counts are printed:
  - orders sent (new orders journaled as order_sent);
  - duplicate ClOrdIDs at the venue: 0;
  - fills lost: keel's fills equal the venue's as multisets (symbol, side, quantity, price),
    and so do the positions: 0 lost, 0 extra;
  - in doubt: at every restart and every dropped connection (each journals venue_status
    disconnected before anything else reaches the venue), each order open then (sent, not
    final) is resolved before any later new order reaches the venue: an answer for it is
    journaled, or it was already acknowledged and working (a status that matches keel's view
    journals nothing), and the venue_status ready record comes before the next new order_sent
    that the adapter did not refuse as venue_disconnected;
  - late orders at the venue (arrived more than the limit after keel first sent them): 0;
  - `keel journal verify` and `keel replay DIR --verify` exit 0.
Usage: fix_crash_test.py KEEL SRC [points] [kills=N] [drops=M] [seed=S]
       (no scenario named: points kills=20 drops=5)
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402
import fix_support as fs  # noqa: E402

KEEL = SRC = None
# (point, pass at which it fires): after the first orders, with more in flight (an alert every
# other tick, sma_cross's crosses). reply_received counts venue_status replies too (three at
# the logon); input_journaled every input (ticks, alerts, replies, wall-clock ticks).
POINTS = [("order_sent", 4), ("venue_sent", 4), ("reply_received", 14),
          ("input_journaled", 60), ("recovery_rederived", 1)]
SHIPPED_MAX_AGE_MS = 5000  # config/fix.json's venue.max_resend_age_ms
DROP_MAX_AGE_MS = 300
TRANSIT_MS = 100  # from keel's age check (QuickFIX's toApp) to the venue's arrival time
DROP_AFTER = 5


class Session(fs.CrashSession):
    """A journal, a venue with its own account, the feeds and the keel processes on them."""
    READY = "fix: ready"

    def __init__(self, name, faults=(), max_age_ms=SHIPPED_MAX_AGE_MS):
        self.max_age_ms = max_age_ms + TRANSIT_MS  # the venue's limit
        feeds = fs.Feeds()
        self.account_path = os.path.join(ls.T, name + "-account.json")
        self.venue, port = fs.start_venue(feeds.venue.port,
                                          os.path.join(ls.T, name + "-venue-store"),
                                          self.account_path, faults, self.max_age_ms,
                                          name=name + "-venue")
        feeds.venue.accept()
        self.init_run(name, feeds, fs.fix_config(SRC, feeds.keel.port, port, name=name,
                                                 venue={"max_resend_age_ms": max_age_ms}))

    def env_base(self):
        return ls.live_env(*ls.SECRETS[self.config])

    def tick(self):
        """A bar of MSFT and a trade of USDCHF to the venue and keel; every other tick an
        alert, alternately buy and sell, so an order is in flight most of the time."""
        i = self.i
        self.i += 1
        if self.signals:
            msft, usdchf = fs.sine(i), "%.4f" % (0.91 + 0.002 * (i % 7))
        else:
            msft, usdchf = "300.0000", "0.9100"  # flat: sma_cross has nothing to cross
        self.feeds.bar("MSFT", msft)
        self.feeds.trade("USDCHF", usdchf)
        self.sent += 2
        if self.signals and i % 2 == 1:
            self.alerts += 1
            ident = "%s-a%d" % (self.name, self.alerts)
            self.post_alert(ident, ls.alert_body(ls.SECRETS[self.config][0], ident,
                                                 "buy" if self.alerts % 2 else "sell"))


    def finish(self, what):
        """Stops keel and the venue; checks and prints the counts."""
        self.stop()
        account = fs.stop_venue(self.venue, self.account_path)
        records = ls.dump(self.journal, "all")
        fills = fs.compare_with_venue(records, account, self.name)
        if account["duplicate_cl_ord_ids"] != 0:
            ls.fail("%s: the venue saw %d duplicate ClOrdIDs" % (self.name,
                                                               account["duplicate_cl_ord_ids"]))
        if account["late_orders"] != 0:
            ls.fail("%s: %d orders arrived at the venue more than %d ms after keel sent them "
                    "(the oldest %d ms)" % (self.name, account["late_orders"], self.max_age_ms,
                                            account["max_order_age_ms"]))
        doubt = fs.check_in_doubt(records, self.name)
        fs.verify_journal(self.journal, self.name)
        logs = "".join(open(os.path.join(ls.T, "%s-%d.err" % (self.name, n))).read()
                       for n in range(1, self.runs + 1))
        gap_filled = logs.count("fix: gap-filled")
        resynced = logs.count("TestRequest went unanswered")
        print("%s: %s; orders sent %d (%d refused while not ready), duplicate ClOrdIDs 0, "
              "fills %d = the venue's %d (0 lost, positions equal), %s, late orders 0 "
              "(oldest arrival %d ms, limit %d), stale resends gap-filled %d, reconciliation "
              "TestRequests sent again %d, journal verify 0, replay --verify 0"
              % (self.name, what, doubt["orders"], doubt["refused"], fills,
                 len(account["fills"]), doubt["text"], account["max_order_age_ms"],
                 self.max_age_ms, gap_filled, resynced), flush=True)


def crash_points():
    for point, n in POINTS:
        s = Session("point-" + point)
        before = fs.crash_then_restart(s, point, n, dict(POINTS)["input_journaled"])
        s.finish("crash point %s:%d (after %d orders), restarted" % (point, n, before))


def kills(n, rng):
    s = Session("kills")
    s.start()
    # The round trip to the venue takes about a quarter of a second here.
    s.finish(fs.random_kills(s, n, rng, 0.3))


def drops(m):
    s = Session("drops", faults=["drop_after=%d" % DROP_AFTER], max_age_ms=DROP_MAX_AGE_MS)
    s.start()
    dropped = fs.tick_until_dropped(s, m, "dropped connections")
    s.finish("%d dropped connections (the venue's drop_after=%d), each reconnected"
             % (dropped, DROP_AFTER))


def main():
    global KEEL, SRC
    ls.init(sys.argv[1], "keel-fix-crash-")
    KEEL, SRC = ls.KEEL, os.path.abspath(sys.argv[2])
    args = dict(a.split("=", 1) if "=" in a else (a, "") for a in sys.argv[3:])
    if not set(args) - {"seed"}:
        args.update({"points": "", "kills": "20", "drops": "5"})
    rng = random.Random(int(args.get("seed", "19")))
    started = time.monotonic()
    if "points" in args:
        crash_points()
    if "kills" in args:
        kills(int(args["kills"]), rng)
    if "drops" in args:
        drops(int(args["drops"]))
    print("ok: %.0f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
