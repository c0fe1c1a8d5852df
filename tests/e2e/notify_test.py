#!/usr/bin/env python3
"""Notifications through the real binary: a webhook-only paper session trading on alerts, with
four notify targets (Discord, Slack, Telegram, generic webhook) pointed at a local server that
speaks each service's shape (notify_server.py), their URLs and bot token given in the
environment (KEEL__NOTIFY__<i>__URL / __TOKEN).

Checks, for every service:
  - every fill arrives once, in sequence order, in the service's format;
  - a 429 storm (each service's own retry_after) delays the fills but loses none, and the next
    attempt came no sooner than the service asked;
  - a dead endpoint fills the outbox (capacity 4): the 4 queued fills arrive when it comes
    back, then one summary "4 fills not sent" covering the rest;
  - a restart while the endpoint is dead (fills undelivered) neither repeats a delivered
    notification nor loses an undelivered one: the restarted session delivers exactly those;
  - session stop: a stop with the endpoint dead is not held up beyond the stop bound (the
    targets' timeout_ms) and its message is not sent later; a stop with the endpoint up
    delivers "Session stopped" once per service, with the session's fill count, and journals
    its delivery's audit; a later restart does not send it again;
  - /metrics counts the outcomes; the URLs and token appear in no log, journal or message;
  - replay --verify passes on the journal.
Usage: notify_test.py KEEL SRC
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import dump, fail, request, wait_for  # noqa: E402
from notify_server import Server  # noqa: E402

T = live_support.init(sys.argv[1], "keel_notify_")
SRC = os.path.abspath(sys.argv[2])
SECRET = "notify-test-secret-4d1a7c"
TOKEN = "notify-test-token-93be20f1"
AUTH = {"Authorization": "Bearer " + TOKEN}
SERVICES = ["discord", "slack", "telegram", "webhook"]

server = Server()
BOT_TOKEN = "123456:notify-test-bot-token-7f3e"
URLS = {
    # Discord's unversioned route: keel posts to the versioned one (/api/v10/).
    "discord": server.base + "/discord/api/webhooks/42/discord-test-token-c0ffee",
    "slack": server.base + "/slack/services/T000/B000/slack-test-token-51ab",
    "webhook": server.base + "/hook",
}
SECRETS = list(URLS.values()) + [BOT_TOKEN, "discord-test-token-c0ffee", "slack-test-token-51ab"]

cfg = json.load(open(os.path.join(SRC, "config", "paper.json")))
del cfg["feed"]
cfg["webhook"]["port"] = 0
del cfg["webhook"]["secret"]
cfg["control"]["port"] = 0
del cfg["control"]["token"]
cfg["strategies"] = [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}]
common = {"events": ["fill", "partial_fill", "session"], "outbox_capacity": 4, "retry_initial_ms": 50,
          "retry_max_ms": 200, "timeout_ms": 2000}
cfg["notify"] = [dict(common, type="discord"), dict(common, type="slack"),
                 dict(common, type="telegram", chat_id="-1001234", url=server.base + "/telegram"),
                 dict(common, type="webhook")]
config = os.path.join(T, "notify.json")
json.dump(cfg, open(config, "w"))
journal = os.path.join(T, "journal")
env = dict(os.environ, KEEL__WEBHOOK__SECRET=SECRET, KEEL__CONTROL__TOKEN=TOKEN,
           KEEL__NOTIFY__0__URL=URLS["discord"], KEEL__NOTIFY__1__URL=URLS["slack"],
           KEEL__NOTIFY__2__TOKEN=BOT_TOKEN, KEEL__NOTIFY__3__URL=URLS["webhook"])

FILLS = []  # the sequence of every fill, in journal order
n_alerts = 0


def fill_seqs():
    return [r["seq"] for r in dump(journal, "input") if r["type"] == "venue_fill"]


def trade(k, count):
    """count alerts, alternately opening and closing, each filled at its price."""
    global n_alerts
    for _ in range(count):
        n_alerts += 1
        action = "buy" if n_alerts % 2 == 1 else "close"
        status, body = live_support.alert(k, SECRET, "n-%d" % n_alerts, action,
                                          price="0.88%02d" % (n_alerts % 100))
        if status != 200:
            fail("alert %d answered %d: %s" % (n_alerts, status, body))
    wait_for("%d fills journaled" % n_alerts, lambda: len(fill_seqs()) == n_alerts)


def delivered(service):
    return [(seq, kind) for seq, kind, _ in server.fills(service)]


def wait_delivered(expected, what):
    for s in SERVICES:
        wait_for("%s: %s" % (s, what), lambda: len(delivered(s)) >= len(expected), timeout=30)
        if delivered(s) != expected:
            fail("%s: %s: got %s, expected %s" % (s, what, delivered(s), expected))
    if server.errors:
        fail("the server refused bodies: %s" % server.errors[:3])


def metric(k, name):
    status, text = request(k.control, "GET", "/metrics", headers=AUTH)
    if status != 200:
        fail("/metrics: %d" % status)
    total = 0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += int(float(line.split()[-1]))
    return total


k = live_support.Keel("keel", config, journal, env=env)

# 1. Endpoint up: every fill once, in order.
trade(k, 4)
expected = [(s, "fill") for s in fill_seqs()]
wait_delivered(expected, "fills while the endpoint is up")

# 2. A 429 storm: three 429s per service, each with its own retry_after; nothing lost.
server.set("storm", storm=3)
trade(k, 2)
expected += [(s, "fill") for s in fill_seqs()[4:]]
wait_delivered(expected, "fills through a 429 storm")
for s in SERVICES:
    if len(server.answered_429[s]) != 3:
        fail("%s: %d 429s answered, expected 3" % (s, len(server.answered_429[s])))
    asked = {"discord": 0.2, "slack": 1, "telegram": 1, "webhook": 1}[s]
    if min(server.after_429[s]) < asked * 0.95:
        fail("%s: retried %.3f s after a 429 that asked for %s s" % (s, min(server.after_429[s]),
                                                                    asked))
if metric(k, 'keel_notify_deliveries_total{outcome="rate_limited"}') != 12:
    fail("/metrics: rate_limited is not 12")
if shutil.which("promtool"):
    _, text = request(k.control, "GET", "/metrics", headers=AUTH)
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
    if check.returncode != 0:
        fail("promtool check metrics: " + check.stdout + check.stderr)

# 3. Dead endpoint: 8 fills, 4 queued per target, 4 overflow; back up: 4 fills then a summary.
server.set("dead")
trade(k, 8)
wait_for("the outboxes overflow", lambda: metric(k, "keel_notify_overflowed_total") >= 16)
wait_for("failed attempts counted",
         lambda: metric(k, 'keel_notify_deliveries_total{outcome="failed"}') > 0)
server.set("up")
seqs = fill_seqs()
expected += [(s, "fill") for s in seqs[6:10]] + [(seqs[13], "summary")]
wait_delivered(expected, "the queued fills and the summary after the endpoint came back")
for s in SERVICES:
    title = server.fills(s)[-1][2]
    if not re.match(r"4 fills not sent", title):
        fail("%s: summary %r" % (s, title))

# 4. Restart while fills are undelivered: the restarted session sends exactly those.
server.set("dead")
trade(k, 2)
wait_for("attempts at the new fills",
         lambda: metric(k, 'keel_notify_deliveries_total{outcome="failed"}') >= 8)
if k.stop() != 0:
    fail("keel did not stop cleanly")
if "session-stop message was not delivered to every target within 2000 ms" not in open(k.err).read():
    fail("the stop with a dead endpoint did not give up on its message at the bound")
server.set("up")
k = live_support.Keel("keel2", config, journal, env=env)
seqs = fill_seqs()
expected += [(s, "fill") for s in seqs[14:16]]
wait_delivered(expected, "the fills undelivered at the restart")
trade(k, 1)
expected += [(fill_seqs()[16], "fill")]
wait_delivered(expected, "a fill after the restart")
if k.stop() != 0:
    fail("keel did not stop cleanly")


def stops(service):
    return [r for r in server.sessions(service) if r[1] == "stop"]


# 5. The stop with the endpoint up: its message arrived (the stop waits for it), once, with the
# session's figures, and its delivery is journaled (audit request_key = its seq * 32 + 31, the
# key of "everything through this sequence", one per target).
for s in SERVICES:
    if len(stops(s)) != 1 or not stops(s)[0][2].startswith("Session stopped: paper (stop signal"):
        fail("%s: session messages %s" % (s, server.sessions(s)))
stop_fields = [f for f in server.webhook_fields if "reason" in f]
if len(stop_fields) != 1 or stop_fields[0].get("fills") != str(len(fill_seqs())):
    fail("the stop message's fields: %s (%d fills journaled)" % (stop_fields, len(fill_seqs())))
stop_seq = stops("webhook")[0][0]
# The stop message carries the newest tapped event's sequence, which a fill's message may share:
# each target has one delivered audit for the stop message, keyed apart from the fill's.
ok_audits = [a.get("flags") for a in dump(journal, "input") if a["type"] == "audit" and
             a.get("endpoint") == "notify" and a.get("code") == "ok" and
             a.get("request_key") == stop_seq * 32 + 31]
for i, s in enumerate(SERVICES):
    if ok_audits.count(i) != 1 or stops(s)[0][0] != stop_seq:
        fail("%s: %d delivered audits for the stop message (seq %d)" %
             (s, ok_audits.count(i), stop_seq))

# 6. A restart does not send the delivered stop message again: its own stop message comes after
# anything the restart re-queued, so by then a resent one would have arrived.
k = live_support.Keel("keel3", config, journal, env=env)
if k.stop() != 0:
    fail("keel did not stop cleanly")
for s in SERVICES:
    if [r[0] for r in stops(s)][:1] != [stop_seq] or len(stops(s)) != 2:
        fail("%s: stop messages after a restart: %s" % (s, stops(s)))

# The outcomes are journaled as notify audits; no secret anywhere keel wrote.
audits = [r for r in dump(journal, "input") if r["type"] == "audit" and r.get("endpoint") == "notify"]
if not any(a.get("code") == "ok" for a in audits) or not any(
        a.get("code") == "rate_limited" for a in audits):
    fail("notify audits: %s" % audits[:5])
blobs = [open(os.path.join(T, n), errors="replace").read() for n in os.listdir(T)
         if n.endswith((".err", ".out"))]
for root, _, files in os.walk(journal):
    blobs += [open(os.path.join(root, f), "rb").read().decode("latin-1") for f in files]
for s in SERVICES:
    blobs += [title for _, _, title in server.fills(s)]
for secret in SECRETS:
    if any(secret in b for b in blobs):
        fail("a notify secret reached a log, the journal or a message")
live_support.verify(journal, "after the notify session")
server.close()
print("ok: notify e2e (%d notifications per service)" % len(expected))
