#!/usr/bin/env python3
"""Live sessions keep real time (live.time "wall", the default with a webhook), driven as a user
drives keel: `keel run` with only a webhook, the control API, alert_follower and the simulated
venue, TradingView alerts over HTTP; then a restart of the same journal; then a session with a
market-data feed (this script serves it).

Checks, against the real binary over real sockets:
  - an alert is journaled with its receipt time: within 2 s of this script's wall clock
    (time.time()), not 1970; session_start too;
  - with nothing else arriving, journaled `clock` ticks keep moving engine time; the input
    stream's times never go backwards; `keel replay --verify` exits 0 on the journal;
  - a second `keel run` on the same journal continues it: sequence numbers follow on, time stays
    monotonic across the restart, the new alert has its own receipt time, verify still passes,
    and `journal export` takes the journal, ticks and all;
  - the summary's stage "events in": strategy saw exactly what was sequenced, risk that plus
    everything strategy derived (its journal stream), whatever state queries the monitor made;
  - with a feed, each trade's engine time is its receipt time and the feed's timestamp is in
    the record (`exchange_ts_ns`), and the summary counts the trades as market data.
Usage: wall_time_test.py KEEL SRC
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import T0, Feed, alert, dump, fail, verify, wait_for  # noqa: E402

T = live_support.init(sys.argv[1], "keel_wall_time_")
SECRET = "wall-time-webhook-secret-5b2e81"
TOKEN = "wall-time-control-token-c93f07a4"
ENV = dict(os.environ, KEEL__WEBHOOK__SECRET=SECRET, KEEL__CONTROL__TOKEN=TOKEN)
NS = 1_000_000_000


def write_config(name, feed_port=None):
    """A webhook-only paper session (or with a feed); no `live` section: wall time by default."""
    cfg = {
        "session": {"name": name},
        "symbols": {"USDCHF": {"tick_size": "0.0001"}},
        "webhook": {"host": "127.0.0.1", "port": 0, "path": "/webhook/tradingview"},
        "control": {"host": "127.0.0.1", "port": 0},
        "strategies": [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}],
        "risk": {"max_order_qty": "100000"},
        "venue": {"type": "sim"},
        "threads": [{"name": "in", "stages": ["ingest"], "idle": "backoff"},
                    {"name": "core", "stages": ["strategy", "risk", "gateway"],
                     "idle": "backoff"}],
    }
    if feed_port is not None:
        cfg["feed"] = {"protocol": "tcp", "host": "127.0.0.1", "port": feed_port,
                       "stale_after_ms": 0}
    path = os.path.join(T, name + ".json")
    json.dump(cfg, open(path, "w"))
    return path


def journaled(journal, type_, after_seq=0):
    """Input records of a type journaled after a sequence, read from the journal being written
    (the control API is no help here: each of its calls is itself a journaled input, which a
    clock tick yields to)."""
    out = subprocess.run([live_support.KEEL, "journal", "dump", journal, "--stream", "input"],
                         capture_output=True, text=True)
    n = 0
    for line in out.stdout.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            continue  # a record being written as the dump read it
        n += 1 if r["type"] == type_ and r["seq"] > after_seq else 0
    return n


def send_alert(k, ident):
    """An alert, answered 200: (seq, wall time before sending, wall time after the answer)."""
    before = time.time()
    status, body = alert(k, SECRET, ident)
    after = time.time()
    if status != 200:
        fail("alert %s: %d %s" % (ident, status, body))
    return json.loads(body)["seq"], before, after


def stop(k, name):
    code = k.stop(signal.SIGTERM)
    if code != 0:
        fail("%s exited %d on SIGTERM" % (name, code))
    return open(k.err.replace(".err", ".out")).read()


def within(ts_ns, before, after, what):
    """ts_ns is a receipt time: within 2 s of the wall clock around the request."""
    if not (before - 2) * NS <= ts_ns <= (after + 2) * NS:
        fail("%s: time %d is not within 2 s of the wall clock (%.3f .. %.3f)"
             % (what, ts_ns, before, after))


def summary(out):
    """(sequenced, market data, {stage: events in}) from keel run's summary."""
    m = re.search(r"events\s+(\d+) sequenced .*?, (\d+) market data; last stage saw (\d+) "
                  r"\(none lost\)", out)
    if not m:
        fail("no events line (or events lost) in the summary:\n" + out)
    stages = {}
    rows = out.split("stage latency", 1)[1].splitlines()[1:]
    for line in rows:
        if not line.startswith("    "):
            break
        fields = line.split()
        stages[fields[0]] = int(fields[-3])
    return int(m.group(1)), int(m.group(2)), stages


def check_input_stream(records, what):
    inputs = [r for r in records if r["stream"] == "input"]
    for a, b in zip(inputs, inputs[1:]):
        if b["seq"] != a["seq"] + 1:
            fail("%s: input sequence %d follows %d" % (what, b["seq"], a["seq"]))
        if b["ts_ns"] < a["ts_ns"]:
            fail("%s: engine time went back at seq %d" % (what, b["seq"]))
    return inputs


def check_events_in(out, records, what):
    sequenced, _, stages = summary(out)
    derived = len([r for r in records if r["stream"] == "strategy"])
    if stages.get("strategy") != sequenced:
        fail("%s: strategy events in %s, %d sequenced" % (what, stages.get("strategy"), sequenced))
    if stages.get("risk") != sequenced + derived:
        fail("%s: risk events in %s, want %d sequenced + %d strategy derived"
             % (what, stages.get("risk"), sequenced, derived))


# --- 1. A webhook-only session: alerts and clock ticks in wall time -------------------------
J = os.path.join(T, "j")
config = write_config("webhook_only")
started = time.time()
k = live_support.Keel("run1", config, J, env=ENV)
seq1, before1, after1 = send_alert(k, "w1")
# Nothing else arrives: the clock alone moves the session on (ticks are inputs). Ten ticks
# take a second, in which the monitor also sends its state queries down the pipeline.
wait_for("clock ticks after the alert", lambda: journaled(J, "clock", seq1) >= 10)
out1 = stop(k, "run1")
records = dump(J)
inputs = check_input_stream(records, "run 1")
by_seq = {r["seq"]: r for r in inputs}
if by_seq[seq1]["type"] != "alert":
    fail("seq %d is a %s, not the alert" % (seq1, by_seq[seq1]["type"]))
within(by_seq[seq1]["ts_ns"], before1, after1, "the alert")
start = inputs[0]
if start["type"] != "session_start":
    fail("the journal does not open with session_start")
within(start["ts_ns"], started, before1, "session_start")
ticks = [r for r in inputs if r["type"] == "clock"]
if len([t for t in ticks if t["seq"] > seq1]) < 10:
    fail("fewer than 10 clock ticks after the alert: %s" % [t["seq"] for t in ticks])
if any(r["time"].startswith("1970") for r in records):
    fail("a record stamped 1970")
check_events_in(out1, records, "run 1")
if summary(out1)[1] != 0:
    fail("a session with no feed counts market data:\n" + out1)
verify(J, "after run 1")

# --- 2. A restart continues the session with monotonic time --------------------------------
last_before = inputs[-1]
k = live_support.Keel("run2", config, J, env=ENV)
seq2, before2, after2 = send_alert(k, "w2")
if seq2 <= last_before["seq"]:
    fail("the restart's alert has seq %d, the journal ended at %d" % (seq2, last_before["seq"]))
wait_for("clock ticks after the restart", lambda: journaled(J, "clock", seq2) >= 3)
out2 = stop(k, "run2")
if "restart     continued the journal" not in out2:
    fail("run 2 did not continue the journal:\n" + out2)
records = dump(J)
inputs = check_input_stream(records, "after the restart")
by_seq = {r["seq"]: r for r in inputs}
within(by_seq[seq2]["ts_ns"], before2, after2, "the restart's alert")
if not [r for r in inputs if r["type"] == "clock" and r["seq"] > seq2]:
    fail("no clock tick after the restart's alert")
verify(J, "after the restart")
# The SQLite read model takes the journal as it is, ticks and all.
db = os.path.join(T, "j.sqlite")
out = subprocess.run([live_support.KEEL, "journal", "export", J, "--sqlite", db],
                     capture_output=True, text=True)
if out.returncode != 0:
    fail("journal export exited %d: %s" % (out.returncode, out.stderr))
alerts = dict(sqlite3.connect(db).execute("SELECT seq, ts_ns FROM alerts").fetchall())
if sorted(alerts) != [seq1, seq2]:
    fail("the alerts table holds %s, not seqs %d and %d" % (sorted(alerts), seq1, seq2))
within(alerts[seq2], before2, after2, "the exported alert")

# --- 3. A feed in wall time: receipt time, the exchange time kept, market data counted ------
feed = Feed()
JF = os.path.join(T, "jf")
k = live_support.Keel("run3", write_config("with_feed", feed.port), JF, env=ENV)
feed.accept()
before3 = time.time()
TRADES = 20
for i in range(TRADES):
    feed.trade("1.%04d" % (1000 + i))
wait_for("the trades journaled", lambda: journaled(JF, "trade") >= TRADES)
after3 = time.time()
out3 = stop(k, "run3")
feed.close()
sequenced, market, _ = summary(out3)
if market != TRADES:
    fail("the summary counts %d market data for %d trades:\n%s" % (market, TRADES, out3))
records = dump(JF)
trades = [r for r in records if r["type"] == "trade"]
if len(trades) != TRADES:
    fail("%d trades journaled, %d sent" % (len(trades), TRADES))
for n, t in enumerate(trades, 1):
    if t.get("exchange_ts_ns") != T0 + n * NS:
        fail("trade %d: exchange_ts_ns %s, the feed sent %d" % (n, t.get("exchange_ts_ns"),
                                                               T0 + n * NS))
    within(t["ts_ns"], before3, after3, "trade %d" % n)
check_input_stream(records, "the feed session")
check_events_in(out3, records, "the feed session")
verify(JF, "of the feed session")
print("ok")
