"""Shared by the end-to-end scripts that trade through FIX (fix_venue_test.py,
fix_crash_test.py): the feeds the script drives tick by tick to both keel and the test venue,
`keel fix-venue` as a process, config/fix.json pointed at them, and the comparison of keel's
journal with the venue's account (fills as multisets, positions per symbol).

A script calls live_support.init(KEEL, prefix) first, then uses these.
"""
import collections
import json
import math
import os
import re
import signal
import socket
import subprocess
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
