#!/usr/bin/env python3
"""Each named crash point (KEEL_CRASH_AT, engine/include/keel/engine/core/crash_point.hpp) hit
once in a session of the demo data on one fused thread, then a restart on its journal, checked
against an uninterrupted run of the same config:
  - the crashed run died by SIGKILL at the named point (its message on stderr);
  - the restart continued the journal and ran to the end of the data;
  - the venue saw no order id twice (the summary's count, and no order_id in two order_sent
    records), no fill was lost (the fills, P&L, cash and positions equal the uninterrupted
    run's);
  - every order in doubt at the crash (sent, no final answer journaled) has an answer journaled
    before the restarted session sends any new order;
  - journal verify and replay --verify pass.
recovery_rederived is reached by a restart of a journal that crashed first (at input_journaled).
With "threaded" the simulated venue runs on its own thread behind the asynchronous seam
(venue.threaded): venue_sent then fires on the adapter's thread, after it has answered and
before ingest has journaled the answer. With "two_threads" the session runs on config/demo.json's
plan (ingest on one thread, the stages on another, thousands of events behind it), killed at
input_journaled and recovery_rederived: the restart must drop the orders derived from inputs the
stages never saw and journal it in sequence (its journal verifies; replay --verify passes); what
the session trades then depends on the threads' timing, so it is not compared with an
uninterrupted run. With "accounts" the session is config/accounts.json's two accounts on two
simulators (USD/CHF on one, MSFT on the other), the points passed late enough to fall in the
second account's orders. The counts are printed per point.
Usage: crash_points_test.py KEEL SRC [threaded] [two_threads] [accounts]
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import dump, fail  # noqa: E402

T = live_support.init(sys.argv[1], "keel_crash_")
KEEL, SRC = live_support.KEEL, os.path.abspath(sys.argv[2])
FINAL = ("venue_fill_final", "venue_cancel", "venue_reject")


def run(name, journal, crash_at=None):
    env = dict(os.environ)
    env.pop("KEEL_CRASH_AT", None)
    if crash_at:
        env["KEEL_CRASH_AT"] = crash_at
    p = subprocess.run([KEEL, "run", "--config", CONFIG, "--journal", journal],
                       capture_output=True, text=True, env=env, timeout=600)
    open(os.path.join(T, name + ".out"), "w").write(p.stdout)
    open(os.path.join(T, name + ".err"), "w").write(p.stderr)
    return p


def crashed(p, point, what):
    if p.returncode != -9 or "killed at crash point " + point not in p.stderr:
        fail("%s: expected SIGKILL at crash point %s, got exit %d: %s" %
             (what, point, p.returncode, p.stderr[-2000:]))


def summary_lines(text):
    keys = ("  orders  ", "  fills  ", "  P&L  ", "  account  ", "    USDCHF  ", "    MSFT  ")
    return {k: tuple(" ".join(line.split()) for line in text.splitlines() if k in line)
            for k in keys if k in text}


def reply_kind(r):
    if r["type"] == "venue_fill":
        return "venue_fill_final" if r.get("final") else "venue_fill"
    return r["type"]


def in_doubt(records):
    """Order ids journaled as sent with no final venue answer journaled."""
    open_ids = set()
    for r in records:
        if r["type"] == "order_sent":
            open_ids.add(int(r["order_id"]))
        elif reply_kind(r) in FINAL:
            open_ids.discard(int(r["order_id"]))
    return open_ids


# The demo data and strategies on one fused thread, unpaced: one exact sequence to compare with.
ACCOUNTS = "accounts" in sys.argv[3:]
c = json.load(open(os.path.join(SRC, "config", "accounts.json" if ACCOUNTS else "demo.json")))
for f in c["data"]["files"]:
    f["path"] = f["path"].replace("../data/", SRC + "/data/")
c["threads"] = [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"],
                 "idle": "backoff"}]
c["data"]["pace_events_per_s"] = 0
THREADED = "threaded" in sys.argv[3:]
TWO_THREADS = "two_threads" in sys.argv[3:]
for venue in [a["venue"] for a in c["accounts"]] if ACCOUNTS else [c["venue"]]:
    venue["threaded"] = THREADED
if TWO_THREADS:
    c["threads"] = [{"name": "in", "stages": ["ingest"], "idle": "yield"},
                    {"name": "core", "stages": ["strategy", "risk", "gateway"], "idle": "yield"}]
CONFIG = os.path.join(T, "fast.json")
json.dump(c, open(CONFIG, "w"))

ref = run("ref", os.path.join(T, "ref"))
if ref.returncode != 0:
    fail("uninterrupted run: exit %d %s" % (ref.returncode, ref.stderr))
want = summary_lines(ref.stdout)
if len(want) < 6:
    fail("the uninterrupted run's summary lacks lines: %s" % want)

# (point, pass at which it fires): mid-session, with orders open and fills to come.
POINTS = [("input_journaled", 60000), ("order_sent", 7), ("venue_sent", 7),
          ("reply_received", 9), ("recovery_rederived", 1)]
if ACCOUNTS:
    # 359 orders, the last ones MSFT's (the second account): each point among them.
    POINTS = [("input_journaled", 158000), ("order_sent", 357), ("venue_sent", 357),
              ("reply_received", 715), ("recovery_rederived", 1)]
if TWO_THREADS:
    POINTS = [p for p in POINTS if p[0] in ("input_journaled", "recovery_rederived")]
report = []
for point, n in POINTS:
    j = os.path.join(T, point)
    if point == "recovery_rederived":
        setup = "input_journaled:%d" % POINTS[0][1]
        crashed(run(point + ".0", j, setup), "input_journaled", point + " setup")
        crashed(run(point + ".1", j, "%s:%d" % (point, n)), point, point)
    else:
        crashed(run(point + ".1", j, "%s:%d" % (point, n)), point, point)
    before = dump(j)
    crash_seq = max(r["seq"] for r in before if r["stream"] == "input")
    doubt = in_doubt(before)

    final = run(point + ".final", j)
    if final.returncode != 0:
        fail("%s: restart exit %d: %s" % (point, final.returncode, final.stderr[-2000:]))
    for text, what in (("restart     continued the journal", "continued the journal"),
                       ("end of data", "reached the end of its data"),
                       ("venue       duplicate order ids 0", "no order sent twice")):
        if text not in final.stdout:
            fail("%s: the restart's summary does not say %s:\n%s" % (point, what, final.stdout))
    got = summary_lines(final.stdout)
    for k, v in want.items():
        if not TWO_THREADS and got.get(k) != v:
            fail("%s: '%s' differs: uninterrupted '%s', restarted '%s'" % (point, k.strip(), v,
                                                                         got.get(k)))
    m = re.search(r"(\d+) unsent orders dropped", final.stdout)
    dropped = int(m.group(1)) if m else -1
    after = dump(j)
    sent = [int(r["order_id"]) for r in after if r["type"] == "order_sent"]
    duplicates = len(sent) - len(set(sent))
    if duplicates:
        fail("%s: %d order ids journaled as sent twice" % (point, duplicates))
    # In doubt at the crash: answered before the restarted session sends a new order.
    later = [r for r in after if r["stream"] in ("input", "gateway") and r["seq"] > crash_seq]
    first_new = next((r["seq"] for r in later if r["type"] == "order_sent"), None)
    for oid in doubt:
        answer = next((r["seq"] for r in later if r.get("order_id") is not None and
                       int(r["order_id"]) == oid and r["type"].startswith("venue_")), None)
        if answer is None:
            fail("%s: order %d, in doubt at the crash, has no venue answer after it" % (point, oid))
        if first_new is not None and answer > first_new:
            fail("%s: order %d in doubt was answered at seq %d, after a new order at seq %d" %
                 (point, oid, answer, first_new))
    fills_ref = sum(1 for r in dump(os.path.join(T, "ref")) if r["type"] == "venue_fill")
    fills = sum(1 for r in after if r["type"] == "venue_fill")
    if not TWO_THREADS and fills != fills_ref:
        fail("%s: %d fills journaled, the uninterrupted run %d" % (point, fills, fills_ref))
    v = subprocess.run([KEEL, "journal", "verify", j], capture_output=True, text=True)
    if v.returncode != 0:
        fail("%s: journal verify exit %d: %s%s" % (point, v.returncode, v.stdout, v.stderr))
    rv = subprocess.run([KEEL, "replay", j, "--verify"], capture_output=True, text=True)
    if rv.returncode != 0 or "re-derived byte for byte" not in rv.stdout:
        fail("%s: replay --verify exit %d: %s%s" % (point, rv.returncode, rv.stdout, rv.stderr))
    report.append("%s:%d killed at input seq %d, %d in doubt, all answered before a new order; "
                  "%d unsent orders dropped; %d fills (uninterrupted %d%s), 0 duplicate ids, "
                  "verify and replay --verify ok"
                  % (point, n, crash_seq, len(doubt), dropped, fills, fills_ref,
                     ", not compared: two threads" if TWO_THREADS else ""))

for line in report:
    print("crash point%s%s%s %s" % (" (threaded venue)" if THREADED else "",
                                    " (two threads)" if TWO_THREADS else "",
                                    " (two accounts)" if ACCOUNTS else "", line))
shutil.rmtree(T)
