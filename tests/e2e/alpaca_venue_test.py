#!/usr/bin/env python3
"""A live session trading an Alpaca account: `keel alpaca-venue` (the local Alpaca-compatible
server, REST and trade_updates over TLS, matching through the simulator) and `keel run` on
config/alpaca.json, both priced by one feed this script drives tick by tick, sma_cross on AAPL
and TradingView alerts on SPY, with kill -9s and restarts on the way. At the end keel's fills,
positions and cash equal the server's own account, the server placed no client_order_id twice,
the keys appear in no journal, log, /metrics output or API answer, and `keel replay --verify`
passes on the journal. Then a session whose keys the server stops accepting (the server's
expire_key_after): keel stops trading and a critical `venue` notification (a generic webhook
target, notify_server.py) says the broker refused the keys, with neither key in it.

Usage: alpaca_venue_test.py KEEL SOURCE_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402
import alpaca_support as al  # noqa: E402
from fix_support import Feeds, sine  # noqa: E402
from notify_server import Server  # noqa: E402

KILL_AT = (20, 60, 75)  # 20, 60: right after an alert


def expired_key(src):
    """The broker refuses the keys after a few requests: keel journals the venue refused and
    notifies it, critical, keys in no message."""
    notify = Server()
    feed = Feeds()
    account_path = os.path.join(ls.T, "expired-account.json")
    venue, port = al.start_venue(src, feed.venue.port, account_path,
                                 faults=["expire_key_after=6"], name="expired-venue")
    feed.venue.accept()
    config = al.alpaca_config(src, feed.keel.port, port, name="expired")
    cfg = json.load(open(config))
    cfg["notify"] = [{"type": "webhook", "events": ["venue"], "retry_initial_ms": 50,
                      "retry_max_ms": 200, "timeout_ms": 2000}]
    json.dump(cfg, open(config, "w"))
    journal = os.path.join(ls.T, "expired-journal")
    env = dict(al.env(config), KEEL__NOTIFY__0__URL=notify.base + "/hook")
    k = ls.Keel("expired-keel", config, journal, env=env)
    feed.keel.accept()

    def refused():
        with notify.lock:
            return [t for _, kind, t in notify.received["webhook"]
                    if kind == "venue" and t.startswith("Broker refused the API keys")]
    # The reconciliation and the account polls (every 500 ms) spend the six requests.
    ls.wait_for("the notification that the broker refused the keys", refused)
    rc = k.stop()
    if rc != 0:
        ls.fail("expired key: keel run exited %d at SIGTERM" % rc)
    al.stop_venue(venue, account_path)
    records = ls.dump(journal, "input")
    if not any(r.get("type") == "venue_status" and r.get("state") == "refused" and
               r.get("reason") == "venue_auth_failed" for r in records):
        ls.fail("expired key: no venue_status refused (venue_auth_failed) journaled")
    if notify.errors:
        ls.fail("expired key: the notification server saw: %s" % notify.errors)
    if len(refused()) != 1:
        ls.fail("expired key: %d notifications of the refused keys, not one" % len(refused()))
    with notify.lock:
        texts = [("notification", json.dumps(f)) for f in notify.webhook_fields] + \
                [("notification title", t) for _, _, t in notify.received["webhook"]]
    al.keys_absent(texts + [("log", open(k.err).read())], "expired key")
    ls.verify(journal, "after the refused keys")
    print("ok: the broker refused the keys: venue refused (venue_auth_failed) journaled, "
          "notified once as '%s', keys in no message" % refused()[0])


def main():
    keel, src = sys.argv[1], sys.argv[2]
    ls.init(keel, "keel-alpaca-venue-")
    feed = Feeds()
    account_path = os.path.join(ls.T, "server-account.json")
    venue, venue_port = al.start_venue(src, feed.venue.port, account_path)
    feed.venue.accept()
    config = al.alpaca_config(src, feed.keel.port, venue_port)
    journal = os.path.join(ls.T, "journal")
    k = al.start_keel("keel", config, journal)
    feed.keel.accept()
    ls.wait_for("keel's Alpaca venue ready", lambda: al.ready_count(k) >= 1)
    secret, token = ls.SECRETS[config]
    sent = [0]  # market data sent to keel

    def caught_up():
        # keel has journaled every tick sent and every order it sent is answered: each order
        # is at the server before the next tick prices it.
        records = ls.dump(journal, "all")
        ticks = sum(1 for r in records if r.get("type") in ("trade", "bar"))
        out = sum(1 for r in records if r.get("type") == "order_sent" and
                  r.get("action") == "new_order")
        answered = sum(1 for r in records if r.get("type") in ("venue_ack", "venue_reject") and
                       r.get("action") == "new_order")
        return ticks == sent[0] and out == answered

    def tick(i):
        feed.bar("AAPL", sine(i))
        feed.trade("SPY", "4%02d.25" % (50 + i % 40))
        sent[0] += 2

    for i in range(100):
        tick(i)
        if i in (20, 60, 90):
            status, body = ls.alert(k, secret, "a%d" % i, action="buy" if i != 60 else "sell",
                                    quantity="5", symbol="SPY")
            if status != 200:
                ls.fail("alert %d: %d %s" % (i, status, body))
        if i in KILL_AT:
            # kill -9 while this tick's orders may be in flight; the restart continues the
            # journal and asks the server about every order it holds open before a new one.
            k.p.kill()
            k.p.wait()
            k = al.start_keel("keel-%d" % i, config, journal)
            feed.keel.accept()
            ls.wait_for("the restarted session ready", lambda: al.ready_count(k) >= 1)
            sent[0] = sum(1 for r in ls.dump(journal, "input")
                          if r.get("type") in ("trade", "bar"))
        ls.wait_for("keel to journal tick %d and its orders' answers" % i, caught_up)
    for i in range(100, 102):  # two more ticks fill what the last signals sent
        tick(i)
        ls.wait_for("keel to journal tick %d" % i, caught_up)
    auth = {"Authorization": "Bearer " + token}
    status, metrics = ls.request(k.control, "GET", "/metrics", headers=auth)
    if status != 200:
        ls.fail("/metrics: %d" % status)
    check = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True,
                           text=True)
    if check.returncode != 0:
        ls.fail("promtool check metrics: " + check.stdout + check.stderr)
    for family in ("keel_alpaca_requests_total ", "keel_alpaca_events_total ",
                   "keel_alpaca_stream_connects_total 1"):
        if family not in metrics:
            ls.fail("/metrics has no '%s'" % family)
    answers = [("/metrics", metrics)]
    for path in ("/api/status", "/api/account", "/api/orders", "/api/positions"):
        answers.append((path, ls.request(k.control, "GET", path, headers=auth)[1]))
    rc = k.stop()
    if rc != 0:
        ls.fail("keel run exited %d at SIGTERM" % rc)
    account = al.stop_venue(venue, account_path)
    records = ls.dump(journal, "input")
    fills = al.compare_with_server(records, account, "the Alpaca session")
    if not fills:
        ls.fail("no fills: the session traded nothing")
    if account["max_orders_per_client_id"] > 1:
        ls.fail("the server placed an order twice under one client_order_id")
    if not any(r.get("type") == "venue_account" for r in records):
        ls.fail("no venue_account input: the broker's account was never journaled")
    logs = [(name, open(os.path.join(ls.T, name), errors="replace").read())
            for name in os.listdir(ls.T) if name.endswith((".err", ".out"))]
    dump_text = subprocess.run([ls.KEEL, "journal", "dump", journal, "--stream", "all"],
                               capture_output=True, text=True).stdout
    journal_bytes = [(name, open(os.path.join(journal, name), errors="replace").read())
                     for name in os.listdir(journal) if os.path.isfile(os.path.join(journal, name))]
    al.keys_absent(answers + logs + journal_bytes + [("journal dump", dump_text)], "keys")
    ls.verify(journal, "after the Alpaca session")
    print("ok: %d fills through Alpaca's API equal the server's account (positions and cash); "
          "no order twice; keys nowhere; replay --verify passes" % fills)
    expired_key(src)


if __name__ == "__main__":
    main()
