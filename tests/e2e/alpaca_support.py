"""Shared by the end-to-end scripts that trade through Alpaca's API (alpaca_venue_test.py,
alpaca_crash_test.py): `keel alpaca-venue` (the local Alpaca-compatible server over TLS, with
the committed test certificate) as a process, config/alpaca.json pointed at it, the keys in the
environment of both, and the comparison of keel's journal with the server's account (fills as
multisets, positions, cash). The feeds are fix_support's (one tick to keel and the server).

A script calls live_support.init(KEEL, prefix) first, then uses these.
"""
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
from decimal import Decimal

import fix_support as fs
import live_support as ls

KEY_ID = "PKE2ETESTKEY01234567"
SECRET_KEY = "e2e-test-secret-key-0123456789abcdefghij"
STARTING_CASH = "100000"
SYMBOLS = "AAPL,SPY"


def tls_files(src):
    d = os.path.join(src, "tests", "data", "tls")
    return os.path.join(d, "localhost.crt"), os.path.join(d, "localhost.key")


def start_venue(src, feed_port, account, faults=(), name="venue"):
    """`keel alpaca-venue` on a free port, priced by the feed on feed_port: (process, port)."""
    cert, key = tls_files(src)
    err = os.path.join(ls.T, name + ".err")
    out = os.path.join(ls.T, name + ".out")
    args = [ls.KEEL, "alpaca-venue", "--listen", "127.0.0.1:0", "--cert", cert, "--key", key,
            "--symbols", SYMBOLS, "--feed", "127.0.0.1:%d" % feed_port, "--account", account,
            "--buying-power", STARTING_CASH]
    for f in faults:
        args += ["--fault", f]
    env = dict(os.environ, KEEL_ALPACA_VENUE_KEY_ID=KEY_ID,
               KEEL_ALPACA_VENUE_SECRET_KEY=SECRET_KEY)
    p = subprocess.Popen(args, stdout=open(out, "w"), stderr=open(err, "w"), env=env)
    ls.procs.append(p)

    def port():
        if p.poll() is not None:
            ls.fail("keel alpaca-venue exited with %d" % p.returncode)
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(out).read())
        return int(m.group(1)) if m else None
    return p, ls.wait_for("the Alpaca server's port", port)


def server_get(src, port, path):
    """A GET to the server as another client of the same account (the test's own look at it):
    (status, headers as a dict, body)."""
    ctx = ssl.create_default_context(cafile=tls_files(src)[0])
    c = http.client.HTTPSConnection("localhost", port, timeout=30, context=ctx)
    try:
        c.request("GET", path, headers={"APCA-API-KEY-ID": KEY_ID,
                                        "APCA-API-SECRET-KEY": SECRET_KEY})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    except OSError as e:
        ls.fail("GET %s from the Alpaca server: %s" % (path, e))
    finally:
        c.close()


def server_orders(src, port):
    """Every order the server holds (GET /v2/orders?status=all)."""
    status, _, body = server_get(src, port, "/v2/orders?status=all&limit=500")
    if status != 200:
        ls.fail("GET /v2/orders from the Alpaca server: %d %s" % (status, body))
    return json.loads(body)


def stop_venue(p, account_path):
    """SIGTERM: the server writes its account; returns it."""
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    return json.load(open(account_path))


def alpaca_config(src, feed_port, venue_port, name="alpaca", venue=None):
    """config/alpaca.json with the feed and the server on these ports (localhost, the test
    certificate as ca_file), ephemeral webhook and control ports; secret, token and keys in
    the environment (env()); venue: overrides of the venue section."""
    cfg = json.load(open(os.path.join(src, "config", "alpaca.json")))
    cfg["feed"]["port"] = feed_port
    host = "localhost:%d" % venue_port
    cfg["venue"].update({"base_url": "https://" + host, "stream_url": "wss://" + host + "/stream",
                         "ca_file": tls_files(src)[0], "request_timeout_ms": 1000,
                         "account_poll_ms": 500})
    del cfg["venue"]["key_id"]
    del cfg["venue"]["secret_key"]
    cfg["venue"].update(venue or {})
    cfg["webhook"]["port"] = 0
    del cfg["webhook"]["secret"]
    cfg["control"]["port"] = 0
    del cfg["control"]["token"]
    path = os.path.join(ls.T, name + ".json")
    json.dump(cfg, open(path, "w"))
    ls.SECRETS[path] = ("alpaca-test-secret-0123456789", "alpaca-test-token-0123456789")
    return path


def env(config):
    """keel run's environment: the webhook secret, control token and Alpaca keys."""
    return dict(ls.live_env(*ls.SECRETS[config]), KEEL__VENUE__KEY_ID=KEY_ID,
                KEEL__VENUE__SECRET_KEY=SECRET_KEY)


def start_keel(name, config, journal):
    k = ls.Keel(name, config, journal, env=env(config))
    return k


def ready_count(k):
    return open(k.err).read().count("alpaca: ready")


def keel_cash(records):
    """keel's cash from its journaled fills: the starting cash, less what buys paid, plus what
    sells took, less fees."""
    cash = Decimal(STARTING_CASH)
    for r in records:
        if r.get("type") == "venue_fill" and r.get("stream") in (None, "input"):
            n = Decimal(r["quantity"]) * Decimal(r["price"])
            cash += -n if r["side"] == "buy" else n
            cash -= Decimal(r.get("fee", "0"))
    return cash


def compare_with_server(records, account, what):
    """Fills and positions as fix_support compares them, and cash: keel's from its fills, the
    server's own. Returns the number of fills."""
    n = fs.compare_with_venue(records, account, what)
    ours = keel_cash(records)
    theirs = Decimal(str(account["cash"]))
    if ours != theirs:
        ls.fail("%s: keel's cash %s, the server's %s" % (what, ours, theirs))
    return n


def keys_absent(texts, what):
    """Neither key in any of these texts (journal dumps, logs, answers)."""
    for name, text in texts:
        for key in (KEY_ID, SECRET_KEY):
            if key in text:
                ls.fail("%s: %s holds an Alpaca key" % (what, name))
