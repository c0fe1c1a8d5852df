"""Shared by the end-to-end scripts that run keel sessions (paper, extreme_tick, venue_ids and
crash_points tests): a scratch directory, failing with the processes' stderr, waiting on an
observable condition, `keel run` as a process with its webhook and control ports, a feed
server the script drives tick by tick, HTTP requests and journal dumps.

A script calls init(KEEL, prefix) once, then uses the rest.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

KEEL = None
T = None
procs = []
T0 = 1_700_000_000_000_000_000  # event time of a Feed's first tick (ns)


def init(keel, prefix):
    global KEEL, T
    KEEL = os.path.abspath(keel)
    T = tempfile.mkdtemp(prefix=prefix)
    return T


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    for p in procs:
        if p.poll() is None:
            p.kill()
    for name in sorted(os.listdir(T)):
        if name.endswith(".err"):
            print("--- " + name, file=sys.stderr)
            print(open(os.path.join(T, name), errors="replace").read()[-3000:], file=sys.stderr)
    sys.exit(1)


def wait_for(what, cond, timeout=60.0):
    """Polls an observable condition until it holds (a deadline, not a sleep as sync)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.05)
    fail("timed out waiting for " + what)


class Feed:
    """The market-data server keel connects to: one JSON trade per line, event times one second
    apart from T0. The listening socket stays open across sessions (same port, same config)."""

    def __init__(self, port=0, symbol="USDCHF"):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.symbol = symbol
        self.conn = None
        self.n = 0

    def accept(self):
        """Takes the next session's connection; its ticks start again from T0."""
        if self.conn:
            self.conn.close()
        self.listener.settimeout(60)
        self.conn, _ = self.listener.accept()
        self.n = 0

    def trade(self, price):
        self.n += 1
        line = {"type": "trade", "symbol": self.symbol, "ts": T0 + self.n * 1_000_000_000,
                "price": price, "size": "1000"}
        self.conn.sendall((json.dumps(line) + "\n").encode())

    def close(self):
        if self.conn:
            self.conn.close()
        self.listener.close()


class Keel:
    """`keel run --config CONFIG --journal JOURNAL`, its stdout and stderr in T/NAME.out|err."""

    def __init__(self, name, config, journal, env=None):
        if env is None and config in SECRETS:
            env = live_env(*SECRETS[config])
        self.err = os.path.join(T, name + ".err")
        self.p = subprocess.Popen([KEEL, "run", "--config", config, "--journal", journal],
                                  stdout=open(os.path.join(T, name + ".out"), "w"),
                                  stderr=open(self.err, "w"), env=env)
        procs.append(self.p)
        self.webhook = wait_for(name + " webhook port",
                                lambda: self.port(r"webhook listening on http://127\.0\.0\.1:(\d+)"))
        self.control = wait_for(name + " control port",
                                lambda: self.port(r"control API listening on http://127\.0\.0\.1:(\d+)"))

    def port(self, pattern):
        if self.p.poll() is not None:
            fail("keel run exited with %d" % self.p.returncode)
        m = re.search(pattern, open(self.err).read())
        return int(m.group(1)) if m else None

    def running(self):
        if self.p.poll() is not None:
            fail("keel run exited with %d" % self.p.returncode)
        return True

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        return self.p.wait(timeout=60)


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    except OSError as e:
        fail("%s %s on port %d: %s" % (method, path, port, e))
    finally:
        c.close()


def alert_body(secret, ident, action="buy", quantity="1000", symbol="USDCHF", **extra):
    return json.dumps({"ticker": symbol, "action": action, "quantity": quantity, "id": ident,
                       **extra, "secret": secret})


def alert(k, secret, ident, action="buy", quantity="1000", symbol="USDCHF", **extra):
    """A TradingView-style alert to the session's webhook (extra: more body fields):
    (status, body)."""
    return request(k.webhook, "POST", "/webhook/tradingview",
                   alert_body(secret, ident, action, quantity, symbol, **extra),
                   {"Content-Type": "text/plain"})


def dump(journal, stream="all"):
    out = subprocess.run([KEEL, "journal", "dump", journal, "--stream", stream],
                         capture_output=True, text=True)
    if out.returncode != 0:
        fail("journal dump: " + out.stderr)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def verify(journal, when):
    out = subprocess.run([KEEL, "replay", journal, "--verify"], capture_output=True, text=True)
    if out.returncode != 0:
        fail("replay --verify %s exited %d: %s%s" % (when, out.returncode, out.stdout, out.stderr))


# The secret and token of each config paper_config wrote, given to keel in the environment.
SECRETS = {}


def live_env(secret, token):
    """The environment keel takes its webhook secret and control token from (keel refuses
    secrets shorter than 16 characters and the shipped placeholders)."""
    if len(secret) < 16 or len(token) < 16:
        fail("a test's secret and token need at least 16 characters")
    return dict(os.environ, KEEL__WEBHOOK__SECRET=secret, KEEL__CONTROL__TOKEN=token)


def paper_config(src, name, feed_port, secret, token, strategies=None):
    """config/paper.json with the feed at feed_port, ephemeral webhook and control ports, and
    optionally other strategies; written to T/NAME.json without its placeholder secret and
    token: Keel(...) on this config passes secret and token in the environment."""
    cfg = json.load(open(os.path.join(src, "config", "paper.json")))
    cfg["feed"]["port"] = feed_port
    cfg["webhook"]["port"] = 0
    del cfg["webhook"]["secret"]
    cfg["control"]["port"] = 0
    del cfg["control"]["token"]
    if strategies is not None:
        cfg["strategies"] = strategies
    path = os.path.join(T, name + ".json")
    json.dump(cfg, open(path, "w"))
    SECRETS[path] = (secret, token)
    return path
