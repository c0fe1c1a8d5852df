#!/usr/bin/env python3
"""Crashes, kills, hung requests, dropped streams and a 429 storm of a live session trading an
Alpaca account (`keel run` on config/alpaca.json against `keel alpaca-venue`, both priced by
feeds this script drives tick by tick; sma_cross on AAPL, alerts on SPY), each scenario on its
own journal and its own server:
  points   each crash point of the venue seam (KEEL_CRASH_AT=<point>:N, N chosen to land once
           orders are flowing; recovery_rederived in the restart of a journal that crashed at
           input_journaled), then a restart on the same journal;
  hang     the server's accept_then_hang_every fault (a POST placed and never answered): first
           the adapter resolves it itself (timeout, a request_outcome record, the lookup by
           client_order_id), then keel is killed -9 while the server holds an order keel has no
           answer for, and restarted: the reconciliation resolves it;
  drops=M  M trade_updates streams the server closes (stream_drop_after: no replay) and keel
           reopens, reconciling before any new order;
  kills=N  N kill -9s at random moments of the session, each followed by a restart;
  storm    the server's rate_limit fault: the script, another client of the same account, uses
           up the window's requests, then a burst of alerts makes keel send orders faster than
           the limit; keel's requests get 429 (at most one per lane, in flight together), then
           keel sends nothing until the announced reset and stays under the limit after it (a second
           burst once the window reset); no order is lost: each gets an answer (an ack or fill,
           or a reject with its reason, venue_rate_limited when held past max_order_age_ms).
After each scenario the session is settled (no new signals; ticks until no order is open and
keel's venue is ready), stopped, and checked; the counts are printed:
  - orders sent (new orders journaled as order_sent);
  - duplicate orders at the server: max_orders_per_client_id <= 1;
  - fills lost: keel's fills equal the server's as multisets, and so do positions and cash;
  - in doubt: at every restart and dropped stream (each journals venue_status disconnected
    first), each order open then is resolved before any later new order reaches the server
    (the venue_status ready record comes before the next new order_sent that the adapter did
    not refuse as venue_disconnected; fix_support.check_in_doubt);
  - `keel journal verify` and `keel replay DIR --verify` exit 0.
Usage: alpaca_crash_test.py KEEL SRC [points] [hang] [drops=M] [kills=N] [storm] [seed=S]
       (no scenario named: points hang drops=3 kills=20 storm)
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402
import fix_support as fs  # noqa: E402
import alpaca_support as al  # noqa: E402

SRC = None
# (point, pass at which it fires): after the first orders, with more in flight (an alert every
# other tick, sma_cross's crosses). reply_received counts the venue's status and account
# replies too (disconnected, reconciling, ready and a venue_account at every start);
# input_journaled every input (ticks, alerts, replies, the 100 ms wall-clock ticks).
POINTS = [("order_sent", 4), ("venue_sent", 4), ("reply_received", 14),
          ("input_journaled", 60), ("recovery_rederived", 1)]
HANG_EVERY = 3        # every third POST placed and never answered
HANG_DELAY_MS = 300   # every answer and event held back this long (request timeout: 1 s)
DROP_AFTER = 6        # events a stream carries before the server closes it
STORM_LIMIT = 60      # requests a window the server allows in the storm
STORM_WINDOW_S = 15   # the window (Alpaca's is a minute): over max_order_age_ms, so orders wait
STORM_ALERTS = 12     # alerts of each burst, sent without waiting for their orders


class Session(fs.CrashSession):
    """A journal, a server with its own account, the feeds and the keel processes on them."""
    READY = "alpaca: ready"

    def __init__(self, name, faults=(), venue=None):
        feeds = fs.Feeds()
        self.account_path = os.path.join(ls.T, name + "-account.json")
        self.venue, self.port = al.start_venue(SRC, feeds.venue.port, self.account_path,
                                               faults, name=name + "-venue")
        feeds.venue.accept()
        self.init_run(name, feeds, al.alpaca_config(SRC, feeds.keel.port, self.port, name=name,
                                                    venue=venue))

    def env_base(self):
        return al.env(self.config)

    def tick(self, alert=True):
        """A bar of AAPL and a trade of SPY to the server and keel; every other tick an alert
        on SPY, alternately buy and sell, so an order is in flight most of the time."""
        i = self.i
        self.i += 1
        if self.signals:
            aapl, spy = fs.sine(i), "4%02d.25" % (50 + i % 7)
        else:
            aapl, spy = "300.0000", "450.25"  # flat: sma_cross has nothing to cross
        self.feeds.bar("AAPL", aapl)
        self.feeds.trade("SPY", spy)
        self.sent += 2
        if self.signals and alert and i % 2 == 1:
            self.alert()

    def alert(self):
        """An alert on SPY to the webhook, alternately buy and sell."""
        if not self.alive():
            return
        self.alerts += 1
        ident = "%s-a%d" % (self.name, self.alerts)
        self.post_alert(ident, ls.alert_body(ls.SECRETS[self.config][0], ident,
                                             "buy" if self.alerts % 2 else "sell", quantity="5",
                                             symbol="SPY"))

    def finish(self, what, extra=None):
        """Stops keel and the server; checks and prints the counts (extra(records, account):
        the scenario's own). Returns (records, the server's account)."""
        self.stop()
        account = al.stop_venue(self.venue, self.account_path)
        records = self.records()
        fills = al.compare_with_server(records, account, self.name)
        if account["max_orders_per_client_id"] > 1:
            ls.fail("%s: the server placed %d orders under one client_order_id"
                    % (self.name, account["max_orders_per_client_id"]))
        doubt = fs.check_in_doubt(records, self.name)
        fs.verify_journal(self.journal, self.name)
        outcomes = sum(1 for r in records if r["type"] == "venue_status" and
                       r["state"] == "request_outcome")
        print("%s: %s; orders sent %d (%d refused while not ready), duplicate orders 0 "
              "(max_orders_per_client_id %d), fills %d = the server's %d (0 lost, positions and "
              "cash equal), %s, request outcomes journaled %d, 429s from the server %d%s, "
              "journal verify 0, replay --verify 0"
              % (self.name, what, doubt["orders"], doubt["refused"],
                 account["max_orders_per_client_id"], fills, len(account["fills"]),
                 doubt["text"], outcomes, account["rate_limited"],
                 extra(records, account) if extra else ""), flush=True)
        return records, account


def crash_points():
    for point, n in POINTS:
        s = Session("point-" + point)
        before = fs.crash_then_restart(s, point, n, dict(POINTS)["input_journaled"])
        s.finish("crash point %s:%d (after %d orders), restarted" % (point, n, before))


def hang():
    """accept_then_hang_every: the adapter's own lookups, then kill -9s while in doubt."""
    s = Session("hang", faults=["accept_then_hang_every=%d" % HANG_EVERY,
                                "delay_ms=%d" % HANG_DELAY_MS])
    s.start()

    def outcomes():
        return sum(1 for r in s.records() if r["type"] == "venue_status" and
                   r["state"] == "request_outcome" and r.get("reason") == "venue_timeout")
    # 1. No restart: the POST times out (request_timeout_ms 1000), the adapter journals a
    # request_outcome, finds the order by its client_order_id and journals what it became.
    ticks = 0
    while outcomes() < 2:
        s.tick()
        s.wait("a tick (hung POSTs resolved by the adapter)")
        ticks += 1
        if ticks > 100:
            ls.fail("hang: only %d timed-out POSTs in %d ticks" % (outcomes(), ticks))
    own = outcomes()
    # 2. kill -9 while the server holds an order keel has journaled no answer for (the
    # server's delay_ms holds every answer and event back, so each order spends that long in
    # doubt; a hung POST's stays in doubt until the stream's event), then a restart: the
    # reconciliation resolves it before any new order.
    killed = []
    while len(killed) < 2:
        s.tick()

        def answered_or_in_doubt():
            if not s.alive():
                ls.fail("hang: keel exited %d" % s.k.p.returncode)
            records = s.records()
            waiting = fs.unanswered(records)
            if not waiting:
                return "answered" if s.caught_up() else None
            at_server = {o["client_order_id"] for o in al.server_orders(SRC, s.port)}
            for r in records:
                if fs.new_order_sent(r) and fs.order_id(r) in waiting and \
                        r.get("venue_id") in at_server:
                    return fs.order_id(r)
            return None
        oid = ls.wait_for("hang: a tick's orders answered or in doubt", answered_or_in_doubt)
        if oid != "answered":
            s.kill()
            killed.append(oid)
            s.start()
        ticks += 1
        if ticks > 200:
            ls.fail("hang: only %d kills in doubt in %d ticks" % (len(killed), ticks))
    for _ in range(6):
        s.tick()
        s.wait("a tick after the restarts")
    s.settle()
    _, account = s.finish(
        "accept_then_hang_every=%d: %d POSTs timed out and resolved without a restart "
        "(request_outcome, then the stream or a lookup), then %d kill -9s with an order placed and unanswered (orders %s), each restarted"
        % (HANG_EVERY, own, len(killed), ",".join(map(str, killed))),
        lambda _, account: ", POSTs the server placed and never answered %d" % account["hung"])


def drops(m):
    s = Session("drops", faults=["stream_drop_after=%d" % DROP_AFTER])
    s.start()
    dropped = fs.tick_until_dropped(s, m, "dropped streams")
    s.finish("%d dropped trade_updates streams (the server's stream_drop_after=%d, no replay), "
             "each reopened and reconciled" % (dropped, DROP_AFTER))


def kills(n, rng):
    s = Session("kills")
    s.start()
    # The round trip to the server takes well under a tenth of a second here.
    s.finish(fs.random_kills(s, n, rng, 0.1))


def storm():
    """rate_limit: keel's requests in flight get 429 at most once per lane, then nothing goes
    until the reset, and no order is lost."""
    s = Session("storm", faults=["rate_limit=%d" % STORM_LIMIT,
                                 "rate_window_s=%d" % STORM_WINDOW_S])
    s.start()
    for _ in range(3):
        s.tick(alert=False)
        s.wait("a tick before the storm")

    def burst():
        """STORM_ALERTS alerts as fast as the webhook takes them (each a new order)."""
        for _ in range(STORM_ALERTS):
            s.alert()
    # The script, as another client of the account would, uses up what is left of the window;
    # keel, which last heard of requests to spare, then sends the burst's first order.
    ours = {"requests": 0, "rate_limited": 0}
    while True:
        status, headers, _ = al.server_get(SRC, s.port, "/v2/account")
        ours["requests"] += 1
        if status == 429:
            ours["rate_limited"] += 1
            break
        if headers.get("x-ratelimit-remaining") == "0":
            break
        if ours["requests"] > STORM_LIMIT:
            ls.fail("storm: the server allowed more than its %d requests a window" % STORM_LIMIT)
    burst()

    # Every order of the burst answered (acked, filled or refused past its age) while the
    # window is used up; then, once the server's window has reset, a second burst.
    s.wait("the first burst's answers", timeout=90.0)
    first_sent = sum(1 for r in s.records() if fs.new_order_sent(r))
    _, headers, _ = al.server_get(SRC, s.port, "/v2/account")
    ours["requests"] += 1
    reset = int(headers.get("x-ratelimit-reset", "0"))
    ls.wait_for("the server's rate-limit window to reset", lambda: time.time() > reset + 1,
                timeout=90.0)
    for _ in range(2):
        s.tick(alert=False)
        s.wait("a tick after the reset")
    before = len(s.records())
    burst()
    s.wait("the second burst's answers", timeout=90.0)
    # The window reset and the second burst is within the announced limit and keel's burst:
    # none of its orders may be held until refused for their age (account polls piled up by
    # the block used to take the limiter's tokens ahead of them).
    second = s.records()[before:]
    held = sum(1 for r in second if r["type"] == "venue_reject" and
               r.get("reason") == "venue_rate_limited")
    second_sent = sum(1 for r in second if fs.new_order_sent(r))
    if held:
        ls.fail("storm: %d of the second burst's %d orders were held past max_order_age_ms "
                "after the rate-limit window reset" % (held, second_sent))
    s.settle()
    records = s.records()
    refused_age = sum(1 for r in records if r["type"] == "venue_reject" and
                      r.get("reason") == "venue_rate_limited")
    keel_429 = sum(1 for r in records if r["type"] == "venue_status" and
                   r["state"] == "request_outcome" and r.get("reason") == "venue_rate_limited")
    _, account = s.finish(
        "rate_limit=%d in %d s, %d alerts in each of two bursts (the first while the script "
        "used up the window: %d orders; the second after the reset: %d orders, none held)"
        % (STORM_LIMIT, STORM_WINDOW_S, STORM_ALERTS, first_sent, second_sent),
        lambda *_: ", refused venue_rate_limited (held past max_order_age_ms) %d" % refused_age)
    server_429 = account["rate_limited"] - ours["rate_limited"]
    if server_429 > 2:
        ls.fail("storm: the server answered keel 429 %d times: more than the two lanes' "
                "requests in flight at the first" % server_429)
    # An order request's 429 is journaled as a request_outcome (an account poll's is not);
    # whichever lane's request meets the exhausted window first blocks both.
    if server_429 < 1 or keel_429 > server_429:
        ls.fail("storm: the server answered keel 429 %d times, keel journaled %d order requests "
                "answered 429" % (server_429, keel_429))
    print("storm: 429s to keel %d (at most 2: one request in flight per lane), of order "
          "requests (journaled as request outcomes) %d; the script's own requests %d (429s %d); "
          "every order_sent answered" % (server_429, keel_429, ours["requests"], ours["rate_limited"]),
          flush=True)


def main():
    global SRC
    ls.init(sys.argv[1], "keel-alpaca-crash-")
    SRC = os.path.abspath(sys.argv[2])
    args = dict(a.split("=", 1) if "=" in a else (a, "") for a in sys.argv[3:])
    if not set(args) - {"seed"}:
        args.update({"points": "", "hang": "", "drops": "3", "kills": "20", "storm": ""})
    rng = random.Random(int(args.get("seed", "20")))
    started = time.monotonic()
    if "points" in args:
        crash_points()
    if "hang" in args:
        hang()
    if "drops" in args:
        drops(int(args["drops"]))
    if "kills" in args:
        kills(int(args["kills"]), rng)
    if "storm" in args:
        storm()
    print("ok: %.0f s" % (time.monotonic() - started))


if __name__ == "__main__":
    main()
