#!/usr/bin/env python3
"""Reconciliation against a venue that holds an order keel never sent, through the real binaries:
`keel fix-venue --fault foreign_order` (another client's order rests there) and `keel run` on
config/fix.json (reconcile.mass_status true). keel's mass status request finds the order, the
journal holds a foreign_order record naming it and the venue_status refused, no order goes out
(an alert is journaled and refused venue_disconnected by risk), the venue's account shows no
order of keel's, `keel journal verify` and `inspect` report the FIX session's store, a corrupt
store makes verify fail naming its file, and `keel replay --verify` passes.
Then with reconcile.adopt_unknown: the same foreign order is adopted (one venue_ack record,
reason foreign_order, counted in /metrics) and the venue is ready; a restart knows the order again
from the journal (asked about by status, not adopted twice); the kill switch (POST /api/kill)
cancels it at the venue, whose account then holds no working order; `replay --verify` passes.

Usage: fix_reconcile_test.py KEEL SOURCE_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support as ls  # noqa: E402
from fix_support import Feeds, fix_config, start_venue, stop_venue  # noqa: E402


def venue_status(journal, state):
    return [r for r in ls.dump(journal, "input")
            if r.get("type") == "venue_status" and r.get("state") == state]


def main():
    keel, src = sys.argv[1], sys.argv[2]
    ls.init(keel, "keel-fix-reconcile-")
    feed = Feeds()
    account_path = os.path.join(ls.T, "venue-account.json")
    venue, venue_port = start_venue(feed.venue.port, os.path.join(ls.T, "venue-store"),
                                    account_path, faults=["foreign_order"])
    feed.venue.accept()
    config = fix_config(src, feed.keel.port, venue_port)
    if not json.load(open(config))["venue"]["reconcile"]["mass_status"]:
        ls.fail("config/fix.json should ask the test venue for mass status")
    journal = os.path.join(ls.T, "journal")
    k = ls.Keel("keel", config, journal)
    feed.keel.accept()
    ls.wait_for("keel to journal the venue refused", lambda: venue_status(journal, "refused"))
    foreign = venue_status(journal, "foreign_order")
    if len(foreign) != 1 or foreign[0].get("reason") != "foreign_order":
        ls.fail("expected one foreign_order record, got %s" % foreign)
    if "foreign-1" not in open(k.err).read():
        ls.fail("keel's log does not name the foreign order: " + open(k.err).read()[-2000:])
    refused = venue_status(journal, "refused")
    if not refused or refused[-1].get("in_doubt") != 1:
        ls.fail("expected a refused venue_status with in_doubt 1, got %s" % refused)
    if venue_status(journal, "ready"):
        ls.fail("the venue must not be ready while it holds an order keel never sent")
    # An alert is taken (journaled) and refused by risk: nothing goes to the venue.
    feed.trade("USDCHF", "0.9100")
    secret = ls.SECRETS[config][0]
    status, body = ls.alert(k, secret, "a1")
    if status != 200:
        ls.fail("alert: %d %s" % (status, body))

    def denied():
        return [r for r in ls.dump(journal, "all") if r.get("type") == "order_denied"]
    ls.wait_for("risk to refuse the alert's order", lambda: denied())
    if denied()[0].get("reason") != "venue_disconnected":
        ls.fail("the alert's order was refused for %s, not venue_disconnected" % denied()[0])
    if any(r.get("type") == "order_sent" for r in ls.dump(journal, "all")):
        ls.fail("an order was sent to a refused venue")
    rc = k.stop()
    if rc != 0:
        ls.fail("keel run did not stop cleanly: exit %d; stdout %s" % (rc, open(k.err.replace(".err", ".out")).read()[-2000:]))
    account = stop_venue(venue, account_path)
    if account["orders"] != 1 or account["fills"]:
        ls.fail("the venue should hold only the foreign order: %s" % account)
    # The journal's checks know the FIX session's store.
    v = subprocess.run([keel, "journal", "verify", journal], capture_output=True, text=True)
    if v.returncode != 0 or not re.search(r"fix/0/FIX\.4\.4-KEEL-VENUE: next sequence numbers "
                                          r"\d+ out, \d+ in, ok", v.stdout):
        ls.fail("journal verify: %d %s%s" % (v.returncode, v.stdout, v.stderr))
    i = subprocess.run([keel, "journal", "inspect", journal, "--json"], capture_output=True,
                       text=True)
    sessions = json.loads(i.stdout).get("fix_sessions", []) if i.returncode == 0 else []
    if len(sessions) != 1 or sessions[0]["next_sender_seq"] < 3:
        ls.fail("journal inspect: %d %s" % (i.returncode, i.stdout[-2000:]))
    ls.verify(journal, "after the refused session")
    broken = os.path.join(ls.T, "broken")
    shutil.copytree(journal, broken)
    open(os.path.join(broken, "fix", "0", "FIX.4.4-KEEL-VENUE.seqnums"), "w").write("12 ; x")
    v = subprocess.run([keel, "journal", "verify", broken], capture_output=True, text=True)
    if v.returncode != 2 or "CORRUPT" not in v.stdout or ".seqnums" not in v.stdout:
        ls.fail("journal verify of a corrupt FIX store: %d %s" % (v.returncode, v.stdout))
    adopt(keel, src)
    print("ok: a venue order keel never sent is journaled and refuses trading; the FIX store is "
          "verified; with adopt_unknown it is adopted, known again after a restart and canceled "
          "by the kill switch; replay --verify passes")


def adoptions(journal):
    return [r for r in ls.dump(journal, "input")
            if r.get("type") == "venue_ack" and r.get("reason") == "foreign_order"]


def adopt(keel, src):
    feed = Feeds()
    account_path = os.path.join(ls.T, "adopt-account.json")
    venue, venue_port = start_venue(feed.venue.port, os.path.join(ls.T, "adopt-store"),
                                    account_path, faults=["foreign_order"], name="adopt-venue")
    feed.venue.accept()
    config = fix_config(src, feed.keel.port, venue_port, name="adopt",
                        venue={"reconcile": {"mass_status": True, "adopt_unknown": True}})
    auth = {"Authorization": "Bearer " + ls.SECRETS[config][1]}
    journal = os.path.join(ls.T, "adopt-journal")
    k = ls.Keel("adopt1", config, journal)
    feed.keel.accept()
    ls.wait_for("keel to adopt the foreign order and be ready",
                lambda: venue_status(journal, "ready"))
    adopted = adoptions(journal)
    if len(adopted) != 1 or adopted[0].get("quantity") != "1" or adopted[0].get("side") != "buy":
        ls.fail("expected one adoption of the foreign order, got %s" % adopted)
    if venue_status(journal, "refused") or venue_status(journal, "foreign_order"):
        ls.fail("an adopted order must not refuse the venue")
    status, metrics = ls.request(k.control, "GET", "/metrics", headers=auth)
    if status != 200 or "keel_fix_adopted_orders_total 1" not in metrics:
        ls.fail("/metrics does not count the adoption: %d %s" % (status, metrics[-3000:]))
    if k.stop() != 0:
        ls.fail("keel run (adopting) did not stop cleanly")
    # The restart knows the adopted order from the journal: asked about, not adopted again.
    k = ls.Keel("adopt2", config, journal)
    feed.keel.accept()
    ls.wait_for("the restarted keel to be ready", lambda: len(venue_status(journal, "ready")) == 2)
    if len(adoptions(journal)) != 1:
        ls.fail("the restart adopted the order again: %s" % adoptions(journal))
    reconciled = [r for r in venue_status(journal, "order_reconciled")
                  if r.get("order_id") == adopted[0].get("order_id")]
    if len(reconciled) != 1:
        ls.fail("the restart did not ask about the adopted order: %s"
                % venue_status(journal, "order_reconciled"))
    status, body = ls.request(k.control, "POST", "/api/kill", "{}", auth)
    if status != 200:
        ls.fail("POST /api/kill: %d %s" % (status, body))

    def canceled():
        return [r for r in ls.dump(journal, "input") if r.get("type") == "venue_cancel"
                and r.get("order_id") == adopted[0].get("order_id")]
    ls.wait_for("the kill switch to cancel the adopted order", canceled)
    if k.stop() != 0:
        ls.fail("keel run (after the kill) did not stop cleanly")
    account = stop_venue(venue, account_path)
    if account["orders"] != 1 or account["open_orders"] != 0 or account["duplicate_cl_ord_ids"]:
        ls.fail("the venue should hold the foreign order canceled: %s" % account)
    ls.verify(journal, "after adopting")


if __name__ == "__main__":
    main()
