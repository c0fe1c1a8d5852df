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
import http.client
import os
import random
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402
import fix_support as fs  # noqa: E402

KEEL = SRC = None
FINAL = ("venue_cancel",)
# (point, pass at which it fires): after the first orders, with more in flight (an alert every
# other tick, sma_cross's crosses). reply_received counts venue_status replies too (three at
# the logon); input_journaled every input (ticks, alerts, replies, wall-clock ticks).
POINTS = [("order_sent", 4), ("venue_sent", 4), ("reply_received", 14),
          ("input_journaled", 60), ("recovery_rederived", 1)]
SHIPPED_MAX_AGE_MS = 5000  # config/fix.json's venue.max_resend_age_ms
DROP_MAX_AGE_MS = 300
TRANSIT_MS = 100  # from keel's age check (QuickFIX's toApp) to the venue's arrival time
DROP_AFTER = 5


class Session:
    """A journal, a venue with its own account, the feeds and the keel processes on them."""

    def __init__(self, name, faults=(), max_age_ms=SHIPPED_MAX_AGE_MS):
        self.name = name
        self.max_age_ms = max_age_ms + TRANSIT_MS  # the venue's limit
        self.feeds = fs.Feeds()
        self.account_path = os.path.join(ls.T, name + "-account.json")
        self.venue, port = fs.start_venue(self.feeds.venue.port,
                                          os.path.join(ls.T, name + "-venue-store"),
                                          self.account_path, faults, self.max_age_ms,
                                          name=name + "-venue")
        self.feeds.venue.accept()
        self.config = fs.fix_config(SRC, self.feeds.keel.port, port, name=name,
                                    venue={"max_resend_age_ms": max_age_ms})
        self.journal = os.path.join(ls.T, name + "-journal")
        self.k = None
        self.runs = 0
        self.i = 0          # ticks sent to the venue
        self.sent = 0       # ticks keel's current process should journal
        self.alerts = 0
        self.signals = True

    def env(self, crash_at=None):
        env = ls.live_env(*ls.SECRETS[self.config])
        env.pop("KEEL_CRASH_AT", None)
        if crash_at:
            env["KEEL_CRASH_AT"] = crash_at
        return env

    def start(self, crash_at=None):
        """keel run on the journal, connected to the feed, its FIX session ready."""
        self.runs += 1
        self.k = ls.Keel("%s-%d" % (self.name, self.runs), self.config, self.journal,
                         self.env(crash_at))
        self.feeds.keel.accept()
        err = self.k.err
        ls.wait_for(self.name + ": keel's FIX session ready",
                    lambda: "fix: ready" in open(err).read() or not self.alive())
        self.sent = sum(1 for r in ls.dump(self.journal, "input")
                        if r["type"] in ("trade", "bar"))

    def alive(self):
        return self.k is not None and self.k.p.poll() is None

    def kill(self):
        self.k.p.kill()
        self.k.p.wait()

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
            self.alert("%s-a%d" % (self.name, self.alerts), "buy" if self.alerts % 2 else "sell")

    def alert(self, ident, action):
        """An alert to the webhook; a keel that dies meanwhile (a crash point) is no error."""
        if not self.alive():
            return
        body = ls.alert_body(ls.SECRETS[self.config][0], ident, action)
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.k.webhook, timeout=30)
            c.request("POST", "/webhook/tradingview", body, {"Content-Type": "text/plain"})
            status = c.getresponse().status
            c.close()
        except OSError as e:
            try:
                self.k.p.wait(timeout=30)  # a crash point fired while it was answering
            except subprocess.TimeoutExpired:
                ls.fail("%s: alert %s: %s" % (self.name, ident, e))
            return
        if status != 200 and self.alive():
            ls.fail("%s: alert %s answered %d" % (self.name, ident, status))

    def caught_up(self):
        """keel journaled every tick sent to it and every new order it sent has an answer (or
        keel is dead: a crash point fired)."""
        if not self.alive():
            return "dead"
        records = ls.dump(self.journal, "all")
        ticks = sum(1 for r in records if r["stream"] == "input" and r["type"] in ("trade", "bar"))
        return ticks == self.sent and not unanswered(records)

    def wait(self, what):
        return ls.wait_for("%s: %s" % (self.name, what), self.caught_up)

    def settle(self):
        """No more signals: flat prices until no order is open and the venue is ready."""
        self.signals = False

        def settled():
            self.tick()
            self.wait("a settling tick")
            records = ls.dump(self.journal, "all")
            statuses = [r for r in records if r["type"] == "venue_status"]
            return not open_orders(records) and statuses and statuses[-1]["state"] == "ready"
        ls.wait_for(self.name + ": no open order and the venue ready", settled)

    def finish(self, what):
        """Stops keel and the venue; checks and prints the counts."""
        rc = self.k.stop()
        if rc != 0:
            ls.fail("%s: keel run exited %d at SIGTERM" % (self.name, rc))
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
        doubt = check_in_doubt(records, self.name)
        for args, tool in ((["journal", "verify", self.journal], "journal verify"),
                           (["replay", self.journal, "--verify"], "replay --verify")):
            p = subprocess.run([KEEL] + args, capture_output=True, text=True)
            if p.returncode != 0:
                ls.fail("%s: %s exited %d: %s%s" % (self.name, tool, p.returncode, p.stdout,
                                                    p.stderr))
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


def order_id(r):
    return int(r["order_id"]) if r.get("order_id") is not None else None


def is_final(r):
    """A venue answer that ends the order: a final fill, a cancel or expiry, a new order's
    reject (a refused cancel leaves the order working)."""
    if r["stream"] != "input":
        return False
    if r["type"] == "venue_fill":
        return bool(r.get("final"))
    if r["type"] == "venue_reject":
        return r.get("action") == "new_order"
    return r["type"] in FINAL


def is_answer(r):
    return r["stream"] == "input" and r["type"] in ("venue_ack", "venue_fill", "venue_reject",
                                                    "venue_cancel")


def new_order_sent(r):
    return r["type"] == "order_sent" and r.get("action") == "new_order"


def open_orders(records):
    """Order id -> its state: 'sent' until acknowledged, then 'working', until a final answer."""
    orders = {}
    for r in records:
        if new_order_sent(r):
            orders[order_id(r)] = "sent"
        elif is_final(r):
            orders.pop(order_id(r), None)
        elif is_answer(r) and order_id(r) in orders:
            orders[order_id(r)] = "working"
    return orders


def unanswered(records):
    sent = {order_id(r) for r in records if new_order_sent(r)}
    return sent - {order_id(r) for r in records if is_answer(r)}


def boundaries(records):
    """Indexes of the venue_status disconnected records: a process's first (a start, or a
    restart: reason none) and every dropped connection (reason venue_disconnected). A restart's
    comes before anything it sends (session_resume is journaled only when a crash left unsent
    orders to refuse)."""
    return [n for n, r in enumerate(records)
            if r["type"] == "venue_status" and r["state"] == "disconnected"]


def check_in_doubt(records, name):
    """Every order open at a restart or a drop resolved before a later new order reaches the
    venue (see the module's docstring); the counts."""
    refused = {order_id(r) for r in records if r["type"] == "venue_reject" and
               r.get("reason") == "venue_disconnected" and r.get("action") == "new_order"}
    orders = sum(1 for r in records if new_order_sent(r))
    restarts = -1  # the session's first start is not a restart
    drops = in_doubt = answered = working = 0
    kinds = {}  # the first answer of each order in doubt, by type (and reason)
    for b in boundaries(records):
        if records[b]["reason"] == "venue_disconnected":
            drops += 1
        else:
            restarts += 1
        doubt = open_orders(records[:b])
        ready = next((n for n in range(b + 1, len(records))
                      if records[n]["type"] == "venue_status" and
                      records[n]["state"] == "ready"), None)
        if ready is None:
            ls.fail("%s: no venue_status ready after the boundary at seq %d"
                    % (name, records[b]["seq"]))
        first_new = next((n for n in range(b + 1, len(records))
                          if new_order_sent(records[n]) and
                          order_id(records[n]) not in refused), None)
        if first_new is not None and first_new < ready:
            ls.fail("%s: order %d sent at seq %d, before the venue was ready again (seq %d) "
                    "after the boundary at seq %d" % (name, order_id(records[first_new]),
                                                      records[first_new]["seq"],
                                                      records[ready]["seq"], records[b]["seq"]))
        for oid, state in doubt.items():
            answer = next((n for n in range(b + 1, ready)
                           if is_answer(records[n]) and order_id(records[n]) == oid), None)
            if answer is not None:
                answered += 1
                a = records[answer]
                kind = a["type"] + ("(%s)" % a["reason"] if a.get("reason") not in (None, "none")
                                    else "")
                kinds[kind] = kinds.get(kind, 0) + 1
            elif state == "working":
                working += 1
            else:
                ls.fail("%s: order %d, sent and unanswered at the boundary at seq %d, has no "
                        "answer before the venue was ready (seq %d)"
                        % (name, oid, records[b]["seq"], records[ready]["seq"]))
        in_doubt += len(doubt)
    text = ("%d restarts and %d dropped connections with %d orders in doubt, every one resolved "
            "before a new order (%d answered%s, %d acknowledged and working)"
            % (restarts, drops, in_doubt, answered,
               ": " + ", ".join("%s %d" % kv for kv in sorted(kinds.items())) if kinds else "",
               working))
    return {"orders": orders, "refused": len(refused), "text": text, "restarts": restarts,
            "drops": drops}


def crashed_at(s, point):
    """The process died by SIGKILL at the named crash point."""
    rc = s.k.p.wait(timeout=60)
    err = open(s.k.err).read()
    if rc != -9 or "killed at crash point " + point not in err:
        ls.fail("%s: expected SIGKILL at crash point %s, got exit %d: %s"
                % (s.name, point, rc, err[-2000:]))


def run_until_crash(s, point, n):
    s.start("%s:%d" % (point, n))
    for _ in range(200):
        s.tick()
        if s.wait("a tick before the crash") == "dead":
            return crashed_at(s, point)
    ls.fail("%s: crash point %s:%d never fired in 200 ticks" % (s.name, point, n))


def crash_points():
    for point, n in POINTS:
        s = Session("point-" + point)
        if point == "recovery_rederived":
            # A journal that crashed at an input, restarted into a crash in its recovery.
            run_until_crash(s, "input_journaled", dict(POINTS)["input_journaled"])
            s.runs += 1
            p = subprocess.run([KEEL, "run", "--config", s.config, "--journal", s.journal],
                               capture_output=True, text=True, timeout=120,
                               env=s.env("%s:%d" % (point, n)))
            open(os.path.join(ls.T, "%s-%d.err" % (s.name, s.runs)), "w").write(p.stderr)
            if p.returncode != -9 or "killed at crash point " + point not in p.stderr:
                ls.fail("%s: expected SIGKILL at crash point %s, got exit %d: %s"
                        % (s.name, point, p.returncode, p.stderr[-2000:]))
        else:
            run_until_crash(s, point, n)
        s.start()
        for _ in range(10):
            s.tick()
            s.wait("a tick after the restart")
        s.settle()
        s.finish("crash point %s:%d, restarted" % (point, n))


def kills(n, rng):
    s = Session("kills")
    s.start()
    how = {"at once": 0, "mid-flight": 0, "answered": 0}
    for _ in range(n):
        for _ in range(rng.randint(0, 3)):
            s.tick()
            s.wait("a tick")
        s.tick()
        # Right after the tick and its alert (orders being derived and sent), at a random
        # point of the round trip to the venue (about a quarter of a second here), or with
        # every order answered. The random delay places the kill; nothing waits on it.
        mode = rng.choice(list(how))
        how[mode] += 1
        if mode == "mid-flight":
            time.sleep(rng.uniform(0, 0.3))
        elif mode == "answered":
            s.wait("the answers before a kill")
        s.kill()
        s.start()
        if not s.alive():
            ls.fail("kills: the restart exited %d" % s.k.p.returncode)
    s.settle()
    s.finish("%d kill -9s (%s), each restarted" % (n, ", ".join("%d %s" % (v, k)
                                                             for k, v in how.items())))


def drops(m):
    s = Session("drops", faults=["drop_after=%d" % DROP_AFTER], max_age_ms=DROP_MAX_AGE_MS)
    s.start()

    def dropped():
        return sum(1 for r in ls.dump(s.journal, "input") if r["type"] == "venue_status" and
                   r["state"] == "disconnected" and r["reason"] == "venue_disconnected")
    ticks = 0
    while dropped() < m:
        s.tick()
        s.wait("a tick")
        ticks += 1
        if ticks > 200 * m:
            ls.fail("drops: only %d dropped connections in %d ticks" % (dropped(), ticks))
    s.settle()
    s.finish("%d dropped connections (the venue's drop_after=%d), each reconnected"
             % (dropped(), DROP_AFTER))


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
