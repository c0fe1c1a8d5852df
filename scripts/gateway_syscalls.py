#!/usr/bin/env python3
"""How many system calls the gateway's thread makes per order with the venue adapter on its own
thread (venue.threaded, busy-spinning): `keel run` of config/paper.json under `strace -f`
(one trace file per thread), the gateway's thread ("keel-core": strategy, risk and gateway)
and the venue adapter's ("keel-venue") both busy-spinning, the journal in page-cache mode (an
append is a memcpy into a mapped segment). The script feeds trades and sends ORDERS alerts,
each filled, then prints every system call each keel thread made while they flowed.
Needs strace (apt-get install strace). Usage: scripts/gateway_syscalls.py KEEL [ORDERS]
"""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import live_support  # noqa: E402
from live_support import Feed, alert, dump, fail, paper_config, wait_for  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
T = live_support.init(sys.argv[1], "keel_syscalls_")
KEEL = live_support.KEEL
ORDERS = int(sys.argv[2]) if len(sys.argv) > 2 else 100
SECRET = "syscall-count-webhook-secret-91ab"
TOKEN = "syscall-count-control-token-5d2e"

feed = Feed()
config = paper_config(SRC, "paper", feed.port, SECRET, TOKEN,
                      [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}])
cfg = json.load(open(config))
cfg["venue"].update({"threaded": True, "idle": "busy_spin"})
cfg["journal"] = {"durability": "os"}
cfg["threads"] = [{"name": "feed", "stages": ["ingest"], "idle": "backoff"},
                  {"name": "core", "stages": ["strategy", "risk", "gateway"], "idle": "busy_spin"}]
cfg["webhook"]["rate_limit"] = {"per_source_per_s": 10000, "per_source_burst": 10000,
                                "global_per_s": 10000, "global_burst": 10000}
json.dump(cfg, open(config, "w"))
journal = os.path.join(T, "j")
trace = os.path.join(T, "trace")
err = os.path.join(T, "keel.err")
p = subprocess.Popen(["strace", "-f", "-ff", "-qq", "-o", trace, KEEL, "run", "--config", config,
                      "--journal", journal], stdout=open(os.path.join(T, "keel.out"), "w"),
                     stderr=open(err, "w"))
live_support.procs.append(p)
port = wait_for("the webhook port", lambda: re.search(
    r"webhook listening on http://127\.0\.0\.1:(\d+)", open(err).read()), 120)


class K:
    webhook = int(port.group(1))


feed.accept()


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


price = 0.9000
for _ in range(3):
    price += 0.0001
    feed.trade("%.4f" % price)
wait_for("the first trades", lambda: count("trade") >= 3, 120)
names = threads()
# Only what happens from here on counts: each thread's trace length now.
start = {tid: sum(1 for _ in open("%s.%d" % (trace, tid))) for tid in names
         if os.path.exists("%s.%d" % (trace, tid))}
sent0 = count("order_sent", "gateway")
for i in range(ORDERS):
    status, body = alert(K, SECRET, "o%d" % i, "buy" if i % 2 == 0 else "sell")
    if status != 200:
        fail("alert answered %d: %s" % (status, body))
    price += 0.0001
    feed.trade("%.4f" % price)
wait_for("every order sent", lambda: count("order_sent", "gateway") - sent0 >= ORDERS, 300)
fills = count("venue_fill")
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
feed.close()
print("%d orders sent, %d fills journaled, while these system calls were made:" % (sent, fills))
for name in sorted(calls):
    total = sum(calls[name].values())
    print("  %-16s %6d  %s" % (name, total, dict(calls[name].most_common(6))))
print("keel-core (strategy, risk, gateway): %.3f system calls per order" %
      (sum(calls.get("keel-core", {}).values()) / max(sent, 1)))
shutil.rmtree(T, ignore_errors=True)
