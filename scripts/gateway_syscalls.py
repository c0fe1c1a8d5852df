#!/usr/bin/env python3
"""How many system calls the gateway's thread makes per order with the venue adapter on its own
thread: `keel run` under `strace -f` (one trace file per thread), the gateway's thread
("keel-core": strategy, risk and gateway) busy-spinning, the journal in page-cache mode (an
append is a memcpy into a mapped segment). The script feeds trades and sends ORDERS alerts,
each filled, then prints every system call each keel thread made while they flowed, and exits 1
when the gateway's thread made any.

  --venue sim (default): config/paper.json with venue.threaded and the adapter ("keel-venue")
      busy-spinning too.
  --venue alpaca: config/alpaca.json against `keel alpaca-venue` (started as
      tests/e2e/alpaca_support.py starts it, not traced), alert_follower on SPY; the adapter
      thread keeps the config's `venue.idle: yield`; the client's and the server's rate limits
      are raised (10000 and 1000000 a minute) so that ORDERS alerts in a row are not refused
      as held past max_order_age_ms.

Needs strace (apt-get install strace).
Usage: scripts/gateway_syscalls.py KEEL [ORDERS] [--venue sim|alpaca]
"""
import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import live_support  # noqa: E402
from live_support import alert, dump, fail, paper_config, wait_for  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SECRET = "syscall-count-webhook-secret-91ab"
TOKEN = "syscall-count-control-token-5d2e"
WEBHOOK_LIMITS = {"per_source_per_s": 10000, "per_source_burst": 10000,
                  "global_per_s": 10000, "global_burst": 10000}
# keel-core: strategy, risk and gateway on one busy-spinning thread; ingest on its own.
THREADS = [{"name": "feed", "stages": ["ingest"], "idle": "backoff"},
           {"name": "core", "stages": ["strategy", "risk", "gateway"], "idle": "busy_spin"}]

args = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
args.add_argument("keel")
args.add_argument("orders", nargs="?", type=int, default=100)
args.add_argument("--venue", choices=("sim", "alpaca"), default="sim")
args = args.parse_args()
T = live_support.init(args.keel, "keel_syscalls_")
KEEL = live_support.KEEL
ORDERS = args.orders


class SimSession:
    """config/paper.json, the simulator on its own busy-spinning thread; trades of USDCHF."""
    symbol, quantity = "USDCHF", "1000"

    def __init__(self):
        self.feed = live_support.Feed()
        self.price = 0.9000
        self.config = paper_config(SRC, "paper", self.feed.port, SECRET, TOKEN,
                                   [{"type": "alert_follower", "symbols": [self.symbol],
                                     "quantity": self.quantity}])
        cfg = json.load(open(self.config))
        cfg["venue"].update({"threaded": True, "idle": "busy_spin"})
        self.write(cfg)
        self.env = None

    def write(self, cfg):
        cfg["journal"] = {"durability": "os"}
        cfg["threads"] = THREADS
        cfg["webhook"]["rate_limit"] = WEBHOOK_LIMITS
        json.dump(cfg, open(self.config, "w"))

    def connected(self, err):
        self.feed.accept()

    def tick(self):
        self.price += 0.0001
        self.feed.trade("%.4f" % self.price)

    def close(self):
        self.feed.close()


class AlpacaSession(SimSession):
    """config/alpaca.json against `keel alpaca-venue`, both priced by one feed; trades of SPY."""
    symbol, quantity = "SPY", "5"

    def __init__(self):
        import alpaca_support as al
        from fix_support import Feeds
        self.al = al
        self.feeds = Feeds()
        self.price = 450.00
        self.account = os.path.join(T, "server-account.json")
        self.venue, port = al.start_venue(SRC, self.feeds.venue.port, self.account,
                                          faults=["rate_limit=1000000"])
        self.feeds.venue.accept()
        self.config = al.alpaca_config(SRC, self.feeds.keel.port, port,
                                       venue={"rate_limit_per_min": 10000})
        cfg = json.load(open(self.config))
        cfg["strategies"] = [{"type": "alert_follower", "symbols": [self.symbol],
                              "quantity": self.quantity}]
        self.write(cfg)
        self.env = al.env(self.config)

    def connected(self, err):
        self.feeds.keel.accept()
        wait_for("keel's Alpaca venue ready", lambda: "alpaca: ready" in open(err).read(), 120)

    def tick(self):
        self.price += 0.01
        self.feeds.trade(self.symbol, "%.2f" % self.price)

    def close(self):
        self.al.stop_venue(self.venue, self.account)


session = AlpacaSession() if args.venue == "alpaca" else SimSession()
config = session.config
secret = live_support.SECRETS[config][0] if args.venue == "alpaca" else SECRET
journal = os.path.join(T, "j")
trace = os.path.join(T, "trace")
err = os.path.join(T, "keel.err")
env = session.env if session.env is not None else live_support.live_env(SECRET, TOKEN)
p = subprocess.Popen(["strace", "-f", "-ff", "-qq", "-o", trace, KEEL, "run", "--config", config,
                      "--journal", journal], stdout=open(os.path.join(T, "keel.out"), "w"),
                     stderr=open(err, "w"), env=env)
live_support.procs.append(p)
port = wait_for("the webhook port", lambda: re.search(
    r"webhook listening on http://127\.0\.0\.1:(\d+)", open(err).read()), 120)


class K:
    webhook = int(port.group(1))


session.connected(err)


def count(kind, stream="input"):
    return sum(1 for r in dump(journal, stream) if r["type"] == kind)


def keel_pid():
    return int(subprocess.run(["pgrep", "-P", str(p.pid)], capture_output=True,
                              text=True).stdout.split()[0])


def threads():
    """tid -> thread name, of the traced keel process (strace's child)."""
    pid = keel_pid()
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        out[int(tid)] = open("/proc/%d/task/%s/comm" % (pid, tid)).read().strip()
    return out


for _ in range(3):
    session.tick()
wait_for("the first trades", lambda: count("trade") >= 3, 120)
names = threads()
# Only what happens from here on counts: each thread's trace length now.
start = {tid: sum(1 for _ in open("%s.%d" % (trace, tid))) for tid in names
         if os.path.exists("%s.%d" % (trace, tid))}
sent0 = count("order_sent", "gateway")
fills0 = count("venue_fill")
for i in range(ORDERS):
    status, body = alert(K, secret, "o%d" % i, "buy" if i % 2 == 0 else "sell",
                         quantity=session.quantity, symbol=session.symbol)
    if status != 200:
        fail("alert answered %d: %s" % (status, body))
    session.tick()
wait_for("every order sent", lambda: count("order_sent", "gateway") - sent0 >= ORDERS, 300)


def filled():
    session.tick()  # the last orders fill on a later trade
    return count("venue_fill") - fills0 >= ORDERS


wait_for("every order filled", filled, 300)
fills = count("venue_fill") - fills0
sent = count("order_sent", "gateway") - sent0
calls = collections.defaultdict(collections.Counter)  # by thread name (several may share one)
for tid, name in names.items():
    path = "%s.%d" % (trace, tid)
    if not os.path.exists(path):
        continue
    lines = open(path).read().splitlines()[start.get(tid, 0):]
    calls[name].update(re.match(r"(\w+)", l).group(1) for l in lines if re.match(r"\w+\(", l))
os.kill(keel_pid(), signal.SIGTERM)
p.wait(timeout=120)
session.close()
print("venue %s: %d orders sent, %d fills journaled, while these system calls were made:" %
      (args.venue, sent, fills))
for name in sorted(calls):
    total = sum(calls[name].values())
    print("  %-16s %6d  %s" % (name, total, dict(calls[name].most_common(6))))
core = sum(calls.get("keel-core", {}).values())
print("keel-core (strategy, risk, gateway): %.3f system calls per order" % (core / max(sent, 1)))
shutil.rmtree(T, ignore_errors=True)
sys.exit(1 if core > 0 else 0)
