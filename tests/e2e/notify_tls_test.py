#!/usr/bin/env python3
"""Notifications over https verify the service's certificate: against a local TLS server with a
self-signed certificate for `localhost`, keel refuses to post (logged "certificate verify
failed", nothing delivered, retried); with that certificate trusted (SSL_CERT_FILE, which
OpenSSL's default verify paths read) the same config delivers. The certificate is made with
the openssl command for this run.
Usage: notify_tls_test.py KEEL SRC
"""
import http.server
import json
import os
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import live_support  # noqa: E402
from live_support import fail, wait_for  # noqa: E402

T = live_support.init(sys.argv[1], "keel_notify_tls_")
SRC = os.path.abspath(sys.argv[2])
SECRET = "notify-tls-secret-81c3e5d0"
TOKEN = "notify-tls-token-2a7f94b6"
cert, key = os.path.join(T, "cert.pem"), os.path.join(T, "key.pem")
made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                       "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                       "-addext", "subjectAltName=DNS:localhost"], capture_output=True, text=True)
if made.returncode != 0:
    fail("openssl req: " + made.stderr)

posts = []


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
threading.Thread(target=httpd.serve_forever, daemon=True).start()

cfg = json.load(open(os.path.join(SRC, "config", "paper.json")))
del cfg["feed"]
cfg["webhook"]["port"] = 0
del cfg["webhook"]["secret"]
cfg["control"]["port"] = 0
del cfg["control"]["token"]
cfg["strategies"] = [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}]
cfg["notify"] = [{"type": "webhook", "events": ["fill"], "retry_initial_ms": 50,
                  "retry_max_ms": 100}]
config = os.path.join(T, "tls.json")
json.dump(cfg, open(config, "w"))
env = dict(os.environ, KEEL__WEBHOOK__SECRET=SECRET, KEEL__CONTROL__TOKEN=TOKEN,
           KEEL__NOTIFY__0__URL="https://localhost:%d/hook" % httpd.server_address[1])


def session(name, extra_env, ident):
    k = live_support.Keel(name, config, os.path.join(T, name), env=dict(env, **extra_env))
    status, body = live_support.alert(k, SECRET, ident, "buy", price="0.8812")
    if status != 200:
        fail("alert answered %d: %s" % (status, body))
    return k


# Not trusted: refused before anything is sent.
k = session("untrusted", {"SSL_CERT_FILE": "/nonexistent"}, "u-1")
wait_for("the certificate refused",
         lambda: "certificate verify failed" in open(k.err).read())
k.stop()
if posts:
    fail("a notification was posted to a server whose certificate is not trusted")

# Trusted: delivered.
k = session("trusted", {"SSL_CERT_FILE": cert}, "t-1")
wait_for("the fill delivered over https", lambda: len(posts) == 1)
k.stop()
if posts[0]["kind"] != "fill":
    fail("delivered %s" % posts[0])
httpd.shutdown()
print("ok: notify over https verifies the certificate")
