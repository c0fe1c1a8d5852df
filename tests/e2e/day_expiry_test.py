#!/usr/bin/env python3
"""A DAY limit order resting in a clock-only session (a webhook, no feed, live.time wall)
expires `expired_day` at a session close set a few seconds ahead of the wall clock: nothing but
journaled clock ticks moves engine time to the close. `replay --verify` exits 0 on that
journal, and a restart on the same journal continues it (sequence and time monotonic; the
order stays expired; verify passes again).

The session's zone is a fixed offset chosen so that local time is near noon, so the close
(local now + 4 s, as HH:MM:SS) never crosses local midnight whenever the test runs.
Usage: day_expiry_test.py KEEL SRC
"""
import datetime
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import dump, fail, verify, wait_for  # noqa: E402

T = live_support.init(sys.argv[1], "keel_day_expiry_")
SECRET = "day-expiry-webhook-secret-41ac9e"
TOKEN = "day-expiry-control-token-7d02b5"
ENV = live_support.live_env(SECRET, TOKEN)
LEAD_S = 4  # the close, this far ahead of the wall clock when the config is written

now = datetime.datetime.now(datetime.timezone.utc)
utc_minute = now.hour * 60 + now.minute
offset = 12 * 60 - utc_minute  # local time = UTC + offset, about noon
sign = "+" if offset >= 0 else "-"
local_close = now + datetime.timedelta(minutes=offset, seconds=LEAD_S)
close_ns = int((now + datetime.timedelta(seconds=LEAD_S)).replace(microsecond=0).timestamp()) \
    * 1_000_000_000
cfg = {
    "session": {"name": "day_expiry"},
    "sessions": {"fx": {"open": "00:00", "close": local_close.strftime("%H:%M:%S"),
                        "utc_offset": "%s%02d:%02d" % (sign, abs(offset) // 60, abs(offset) % 60),
                        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}},
    "symbols": {"USDCHF": {"tick_size": "0.0001", "session": "fx"}},
    "webhook": {"host": "127.0.0.1", "port": 0, "path": "/webhook/tradingview"},
    "control": {"host": "127.0.0.1", "port": 0},
    "live": {"time": "wall", "clock_tick_ms": 50},
    "strategies": [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}],
    "risk": {"max_order_qty": "100000", "max_order_notional": "100000"},
    "venue": {"type": "sim"},
    "threads": [{"name": "in", "stages": ["ingest"], "idle": "backoff"},
                {"name": "core", "stages": ["strategy", "risk", "gateway"], "idle": "backoff"}],
}
config = os.path.join(T, "day_expiry.json")
json.dump(cfg, open(config, "w"))
J = os.path.join(T, "j")


def records_of(journal, type_):
    return [r for r in dump(journal) if r["type"] == type_]


# --- 1. A DAY limit order rests, then expires at the close, with only the clock moving time --
k = live_support.Keel("run1", config, J, env=ENV)
status, body = live_support.alert(k, SECRET, "day-1", "buy", "1000", "USDCHF",
                                  price="0.9000", order_type="limit", limit_price="0.8500",
                                  tif="day")
if status != 200:
    fail("the limit alert answered %d: %s" % (status, body))
if time.time() * 1e9 >= close_ns:
    fail("the alert was answered after the session close; the test machine is too slow")
acks = wait_for("the limit order's ack", lambda: records_of(J, "venue_ack"))
oid = acks[0]["order_id"]
expired = wait_for("the DAY order to expire at the close",
                   lambda: [r for r in records_of(J, "venue_cancel") if r["order_id"] == oid],
                   timeout=60)
if expired[0]["reason"] != "expired_day":
    fail("the order was cancelled %s, not expired_day" % expired[0]["reason"])
if expired[0]["ts_ns"] < close_ns:
    fail("the order expired at %d, before the close %d" % (expired[0]["ts_ns"], close_ns))
closes = [r for r in records_of(J, "timer") if r.get("kind") == "session_close"]
if not closes:
    fail("no session_close timer journaled")
if records_of(J, "fill"):
    fail("the resting limit below the alert price filled")
if k.stop(signal.SIGTERM) != 0:
    fail("run 1 did not exit 0 on SIGTERM")
verify(J, "after the DAY expiry")
before = [r for r in dump(J, "input")]

# --- 2. A restart continues the session ---------------------------------------------------
k = live_support.Keel("run2", config, J, env=ENV)
status, body = live_support.alert(k, SECRET, "day-2", "buy", "1000", "USDCHF", price="0.9000")
if status != 200:
    fail("the restart's alert answered %d: %s" % (status, body))
seq2 = json.loads(body)["seq"]
if seq2 <= before[-1]["seq"]:
    fail("the restart's alert has seq %d; the journal ended at %d" % (seq2, before[-1]["seq"]))
if k.stop(signal.SIGTERM) != 0:
    fail("run 2 did not exit 0 on SIGTERM")
inputs = dump(J, "input")
for a, b in zip(inputs, inputs[1:]):
    if b["seq"] != a["seq"] + 1 or b["ts_ns"] < a["ts_ns"]:
        fail("input %d after %d: sequence or time not monotonic" % (b["seq"], a["seq"]))
if "continued the journal" not in open(os.path.join(T, "run2.out")).read():
    fail("run 2 did not continue the journal")
if len([r for r in records_of(J, "venue_cancel") if r["order_id"] == oid]) != 1:
    fail("the expired order was cancelled again after the restart")
verify(J, "after the restart")
print("day expiry: order %d expired_day at the close; replay verified; restart continued" % oid)
