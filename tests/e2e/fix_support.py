"""Shared by the end-to-end scripts that trade through FIX (fix_venue_test.py,
fix_crash_test.py): the feeds the script drives tick by tick to both keel and the test venue,
`keel fix-venue` as a process, config/fix.json pointed at them, and the comparison of keel's
journal with the venue's account (fills as multisets, positions per symbol). The crash tests of
both real venues (fix_crash_test.py, alpaca_crash_test.py) share the journal checks at the end:
orders open at each restart or dropped connection resolved before a new order, a crash point
fired, journal verify and replay --verify; their sessions have start(crash_at), tick(),
wait(what), env(crash_at), name, config, journal, runs and k (a live_support.Keel).

A script calls live_support.init(KEEL, prefix) first, then uses these.
"""
import collections
import http.client
import json
import math
import os
import re
import signal
import socket
import subprocess
import time
from decimal import Decimal

import live_support as ls


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
    """One tick to the venue and to keel with the same time. A keel that died (a crash point,
    a kill) misses the tick: the venue always has it, so it prices every order it holds."""

    def __init__(self):
        self.keel = Feed()
        self.venue = Feed()
        self.n = 0

    def send(self, line):
        self.n += 1
        line["ts"] = ls.T0 + self.n * 1_000_000_000
        data = (json.dumps(line) + "\n").encode()
        self.venue.send(data)
        try:
            self.keel.send(data)
        except OSError:
            pass  # keel is gone: its restart connects again (accept) and takes later ticks

    def trade(self, symbol, price):
        self.send({"type": "trade", "symbol": symbol, "price": price, "size": "1000000"})

    def bar(self, symbol, close):
        # A one-minute bar around its close (sma_cross trades on bars).
        c = float(close)
        self.send({"type": "bar", "symbol": symbol, "open": "%.4f" % c,
                   "high": "%.4f" % (c + 0.5), "low": "%.4f" % (c - 0.5), "close": "%.4f" % c,
                   "volume": "1000000", "interval": "1m"})


def start_venue(feed_port, store, account, faults=(), max_age_ms=None, name="venue"):
    """`keel fix-venue` on a free port, priced by the feed on feed_port: (process, port).
    faults: NAME=N strings (--fault); max_age_ms: --max-age-ms (orders arriving later than
    this after keel first sent them are counted late in the account)."""
    err = os.path.join(ls.T, name + ".err")
    out = os.path.join(ls.T, name + ".out")
    args = [ls.KEEL, "fix-venue", "--listen", "127.0.0.1:0", "--symbols", "MSFT,USDCHF",
            "--feed", "127.0.0.1:%d" % feed_port, "--store", store, "--account", account]
    for f in faults:
        args += ["--fault", f]
    if max_age_ms is not None:
        args += ["--max-age-ms", str(max_age_ms)]
    p = subprocess.Popen(args, stdout=open(out, "w"), stderr=open(err, "w"))
    ls.procs.append(p)

    def port():
        if p.poll() is not None:
            ls.fail("keel fix-venue exited with %d" % p.returncode)
        m = re.search(r"on 127\.0\.0\.1:(\d+)", open(out).read())
        return int(m.group(1)) if m else None
    return p, ls.wait_for("the venue's port", port)


def stop_venue(p, account_path):
    """SIGTERM: the venue writes its account; returns it."""
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    return json.load(open(account_path))


def fix_config(src, feed_port, venue_port, name="fix", venue=None):
    """config/fix.json with the feed and the venue on these ports, ephemeral webhook and control
    ports, secret and token in the environment (live_support.SECRETS); venue: overrides of
    the venue section (e.g. max_resend_age_ms)."""
    cfg = json.load(open(os.path.join(src, "config", "fix.json")))
    cfg["feed"]["port"] = feed_port
    cfg["venue"]["port"] = venue_port
    cfg["venue"].update(venue or {})
    cfg["webhook"]["port"] = 0
    del cfg["webhook"]["secret"]
    cfg["control"]["port"] = 0
    del cfg["control"]["token"]
    path = os.path.join(ls.T, name + ".json")
    json.dump(cfg, open(path, "w"))
    ls.SECRETS[path] = ("fix-test-secret-0123456789", "fix-test-token-0123456789")
    return path


def keel_fills(records):
    """keel's fills, (symbol, side, quantity, price), from journal records (journal dump)."""
    return [(r.get("symbol"), r["side"], r["quantity"], r["price"]) for r in records
            if r.get("type") == "venue_fill" and r.get("stream") in (None, "input")]


def venue_fills(account):
    return [(f["symbol"], f["side"], f["qty"], f["price"]) for f in account["fills"]]


def positions(fills):
    """Net quantity per symbol of (symbol, side, quantity, price) fills, zeros left out."""
    net = collections.defaultdict(Decimal)
    for symbol, side, qty, _ in fills:
        net[symbol] += Decimal(qty) if side == "buy" else -Decimal(qty)
    return {s: q for s, q in net.items() if q != 0}


def venue_positions(account):
    return {s: Decimal(q) for s, q in account["positions"].items() if Decimal(q) != 0}


def compare_with_venue(records, account, what):
    """keel's fills equal the venue's as multisets, and so do the positions (keel's from its
    fills, the venue's from its own books); fails naming the difference. Returns the number of
    fills."""
    ours = keel_fills(records)
    theirs = venue_fills(account)
    if collections.Counter(ours) != collections.Counter(theirs):
        missing = collections.Counter(theirs) - collections.Counter(ours)
        extra = collections.Counter(ours) - collections.Counter(theirs)
        ls.fail("%s: keel's %d fills differ from the venue's %d: the venue's not in keel's "
                "journal %s; keel's not at the venue %s"
                % (what, len(ours), len(theirs), dict(missing), dict(extra)))
    if positions(ours) != venue_positions(account):
        ls.fail("%s: keel's positions %s, the venue's %s"
                % (what, positions(ours), venue_positions(account)))
    return len(ours)


def sine(i):
    # A slow wave: sma_cross(5, 15) crosses it up and down several times.
    return "%.4f" % (300 + 10 * math.sin(i / 6.0))


# --- the crash tests' sessions and journal checks ---

CONNECTION = ("disconnected", "reconciling", "ready", "refused")


class CrashSession:
    """What the crash tests' sessions share: a journal and the keel processes on it, fed tick
    by tick. A subclass calls init_run(), and defines env_base() (keel's environment),
    tick() (market data to keel and the venue, sent += what keel should journal) and READY
    (the log line keel writes once its venue is ready)."""
    READY = None

    def init_run(self, name, feeds, config):
        self.name = name
        self.feeds = feeds
        self.config = config
        self.journal = os.path.join(ls.T, name + "-journal")
        self.k = None
        self.runs = 0
        self.i = 0          # ticks sent to the venue
        self.sent = 0       # ticks keel's current process should journal
        self.alerts = 0
        self.signals = True

    def env(self, crash_at=None):
        env = self.env_base()
        env.pop("KEEL_CRASH_AT", None)
        if crash_at:
            env["KEEL_CRASH_AT"] = crash_at
        return env

    def start(self, crash_at=None):
        """keel run on the journal, connected to the feed, its venue ready (or dead: a crash
        point fired first)."""
        self.runs += 1
        self.k = ls.Keel("%s-%d" % (self.name, self.runs), self.config, self.journal,
                         self.env(crash_at))
        self.feeds.keel.accept()
        err = self.k.err
        ls.wait_for("%s: keel's venue ready (%s)" % (self.name, self.READY),
                    lambda: self.READY in open(err).read() or not self.alive())
        self.sent = sum(1 for r in ls.dump(self.journal, "input")
                        if r["type"] in ("trade", "bar"))

    def alive(self):
        return self.k is not None and self.k.p.poll() is None

    def kill(self):
        self.k.p.kill()
        self.k.p.wait()

    def records(self):
        return ls.dump(self.journal, "all")

    def post_alert(self, ident, body):
        """An alert to the webhook; a keel that dies meanwhile (a crash point) is no error."""
        if not self.alive():
            return
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
        records = self.records()
        ticks = sum(1 for r in records if r["stream"] == "input" and r["type"] in ("trade", "bar"))
        return ticks == self.sent and not unanswered(records)

    def wait(self, what, timeout=60.0):
        return ls.wait_for("%s: %s" % (self.name, what), self.caught_up, timeout)

    def settle(self):
        """No more signals: flat prices until no order is open and the venue is ready."""
        self.signals = False

        def settled():
            self.tick()
            self.wait("a settling tick", timeout=90.0)
            records = self.records()
            states = [r["state"] for r in records
                      if r["type"] == "venue_status" and r["state"] in CONNECTION]
            return not open_orders(records) and states and states[-1] == "ready"
        ls.wait_for(self.name + ": no open order and the venue ready", settled, timeout=120.0)

    def stop(self):
        """SIGTERM to keel: it must exit 0."""
        rc = self.k.stop()
        if rc != 0:
            ls.fail("%s: keel run exited %d at SIGTERM" % (self.name, rc))


FINAL = ("venue_cancel",)


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


def crash_in_recovery(s, first_point, first_n, n):
    """A journal that crashed at first_point:first_n, restarted into a crash in its recovery
    (recovery_rederived:n)."""
    point = "recovery_rederived"
    run_until_crash(s, first_point, first_n)
    s.runs += 1
    p = subprocess.run([ls.KEEL, "run", "--config", s.config, "--journal", s.journal],
                       capture_output=True, text=True, timeout=120,
                       env=s.env("%s:%d" % (point, n)))
    open(os.path.join(ls.T, "%s-%d.err" % (s.name, s.runs)), "w").write(p.stderr)
    if p.returncode != -9 or "killed at crash point " + point not in p.stderr:
        ls.fail("%s: expected SIGKILL at crash point %s, got exit %d: %s"
                % (s.name, point, p.returncode, p.stderr[-2000:]))


def verify_journal(journal, name):
    """`keel journal verify` and `keel replay DIR --verify` exit 0."""
    for args, tool in ((["journal", "verify", journal], "journal verify"),
                       (["replay", journal, "--verify"], "replay --verify")):
        p = subprocess.run([ls.KEEL] + args, capture_output=True, text=True)
        if p.returncode != 0:
            ls.fail("%s: %s exited %d: %s%s" % (name, tool, p.returncode, p.stdout, p.stderr))


def crash_then_restart(s, point, n, first_n):
    """Crash point point:n (recovery_rederived: in the recovery of a journal that crashed at
    input_journaled:first_n), then a restart, 10 ticks and the session settled. Returns the
    new orders sent before the crash (none: the crash point fired too early to test anything,
    a failure)."""
    if point == "recovery_rederived":
        crash_in_recovery(s, "input_journaled", first_n, n)
    else:
        run_until_crash(s, point, n)
    before = sum(1 for r in ls.dump(s.journal, "all") if new_order_sent(r))
    if before == 0:
        ls.fail("%s: the crash fired before any order was sent" % s.name)
    s.start()
    for _ in range(10):
        s.tick()
        s.wait("a tick after the restart")
    s.settle()
    return before


def tick_until_dropped(s, m, what):
    """Ticks the session (each tick's answers awaited) until its journal holds m connections
    the venue dropped (venue_status disconnected, venue_disconnected), then settles it. what
    names them in the failure after 200 ticks a drop. Returns how many were dropped."""
    def dropped():
        return sum(1 for r in ls.dump(s.journal, "input") if r["type"] == "venue_status" and
                   r["state"] == "disconnected" and r["reason"] == "venue_disconnected")
    ticks = 0
    while dropped() < m:
        s.tick()
        s.wait("a tick")
        ticks += 1
        if ticks > 200 * m:
            ls.fail("drops: only %d %s in %d ticks" % (dropped(), what, ticks))
    s.settle()
    return dropped()


def random_kills(s, n, rng, flight_s):
    """n kill -9s of the session, each restarted: right after a tick and its alert (orders
    being derived and sent), at a random point of the round trip to the venue (up to flight_s),
    or with every order answered. The random delay places the kill; nothing waits on it.
    Returns how many of each."""
    how = {"at once": 0, "mid-flight": 0, "answered": 0}
    for _ in range(n):
        for _ in range(rng.randint(0, 3)):
            s.tick()
            s.wait("a tick")
        s.tick()
        mode = rng.choice(list(how))
        how[mode] += 1
        if mode == "mid-flight":
            time.sleep(rng.uniform(0, flight_s))
        elif mode == "answered":
            s.wait("the answers before a kill")
        s.kill()
        s.start()
        if not s.alive():
            ls.fail("%s: the restart exited %d" % (s.name, s.k.p.returncode))
    s.settle()
    return "%d kill -9s (%s), each restarted" % (n, ", ".join("%d %s" % (v, k)
                                                             for k, v in how.items()))
