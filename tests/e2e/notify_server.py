"""A local HTTP server speaking the shapes of the services keel notifies (notify tests): Discord
webhook executions (/discord/api/v10/webhooks/ID/TOKEN), Slack incoming webhooks
(/slack/services/...), Telegram's Bot API sendMessage (/telegram/bot<TOKEN>/sendMessage) and the
generic webhook (/hook). Each request's body is checked against its service's shape (a wrong
one is answered 400 and recorded in `errors`) and recorded with the sequence and kind it tells.

Modes, set by the test between steps:
  up     every post answered 200 (Discord 204, like the real one without ?wait=true);
  storm  the next `storm_left[service]` posts answered 429 the way each service does it:
         Discord's JSON body `retry_after` (seconds, fractional) and the header, Slack's and the
         generic webhook's Retry-After header, Telegram's `parameters.retry_after`;
  dead   the connection closed with no answer (a service that is down).
"""
import http.server
import json
import re
import threading
import time

RETRY_AFTER = {"discord": 0.2, "slack": 1, "telegram": 1, "webhook": 1}


def service_of(path):
    if re.fullmatch(r"/discord/api/v10/webhooks/\d+/[\w-]+", path):
        return "discord"
    if path.startswith("/slack/services/"):
        return "slack"
    if re.fullmatch(r"/telegram/bot\d+:[\w-]+/sendMessage", path):
        return "telegram"
    if path == "/hook":
        return "webhook"
    return None


def parse(service, body):
    """(seq, kind, title) from a body of the service's shape; raises ValueError if it is not."""
    if service == "webhook":
        if body.get("source") != "keel" or not isinstance(body.get("fields"), dict):
            raise ValueError("not keel's webhook JSON")
        kind = body["kind"]
        if kind == "session":
            kind = "stop" if body["title"].startswith("Session stopped") else "start"
        return body["seq"], kind, body["title"]
    if service == "discord":
        embed = body["embeds"][0]
        title, tail = embed["title"], embed["footer"]["text"]
        if not isinstance(embed["color"], int) or not embed["timestamp"].endswith("Z"):
            raise ValueError("embed colour or timestamp")
    elif service == "slack":
        title = body["text"]
        if body["blocks"][0]["type"] != "header":
            raise ValueError("no header block")
        tail = body["blocks"][-1]["elements"][0]["text"]
    else:
        if body.get("parse_mode") != "HTML" or not body.get("chat_id"):
            raise ValueError("not an HTML sendMessage with a chat_id")
        text = body["text"]
        m = re.match(r"<b>([^<]*)</b>", text)
        if not m:
            raise ValueError("no bold title")
        title, tail = m.group(1), text
    m = re.search(r"seq (\d+)", tail)
    if not m:
        raise ValueError("no sequence in the footer")
    kind = "summary" if "not sent" in title else (
        "fill" if title.startswith("Filled") else
        "stop" if title.startswith("Session stopped") else
        "start" if title.startswith("Session started") else "other")
    return int(m.group(1)), kind, title


class Server:
    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "up"
        self.storm_left = {}
        self.received = {s: [] for s in RETRY_AFTER}  # (seq, kind, title) delivered (answered 2xx)
        self.answered_429 = {s: [] for s in RETRY_AFTER}  # monotonic times of 429s
        self.after_429 = {s: [] for s in RETRY_AFTER}  # gap from a 429 to the next post, s
        self.errors = []
        self.webhook_fields = []  # the generic webhook's `fields`, in order delivered
        self.posts = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                outer.handle(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, h, status, body=b"", headers=None):
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def handle(self, h):
        raw = h.rfile.read(int(h.headers.get("Content-Length", 0)))
        service = service_of(h.path)
        now = time.monotonic()
        with self.lock:
            self.posts += 1
            if service is None:
                self.errors.append("unknown path " + h.path)
                return self.answer(h, 404)
            if self.mode == "dead":
                h.close_connection = True
                return
            if self.answered_429[service] and len(self.after_429[service]) < len(self.answered_429[service]):
                self.after_429[service].append(now - self.answered_429[service][-1])
            if self.storm_left.get(service, 0) > 0:
                self.storm_left[service] -= 1
                self.answered_429[service].append(now)
                return self.too_many(h, service)
            try:
                if h.headers.get("Content-Type") != "application/json":
                    raise ValueError("Content-Type " + str(h.headers.get("Content-Type")))
                body = json.loads(raw)
                self.received[service].append(parse(service, body))
                if service == "webhook":
                    self.webhook_fields.append(body["fields"])
            except (ValueError, KeyError, IndexError, TypeError) as e:
                self.errors.append("%s: %s: %r" % (service, e, raw[:300]))
                return self.answer(h, 400)
        if service == "discord":
            return self.answer(h, 204)
        if service == "telegram":
            return self.answer(h, 200, b'{"ok":true,"result":{"message_id":1}}')
        return self.answer(h, 200, b"ok")

    def too_many(self, h, service):
        wait = RETRY_AFTER[service]
        if service == "discord":
            body = json.dumps({"message": "You are being rate limited.", "retry_after": wait,
                               "global": False}).encode()
            return self.answer(h, 429, body, {"Retry-After": str(int(wait) + 1)
                                              if wait >= 1 else "0",
                                              "Content-Type": "application/json"})
        if service == "telegram":
            body = json.dumps({"ok": False, "error_code": 429,
                               "description": "Too Many Requests: retry after %d" % wait,
                               "parameters": {"retry_after": wait}}).encode()
            return self.answer(h, 429, body, {"Content-Type": "application/json"})
        return self.answer(h, 429, b"rate limited", {"Retry-After": str(wait)})

    def set(self, mode, storm=0):
        with self.lock:
            self.mode = mode
            self.storm_left = {s: storm for s in RETRY_AFTER} if mode == "storm" else {}

    def fills(self, service):
        with self.lock:
            return [r for r in self.received[service] if r[1] in ("fill", "summary")]

    def sessions(self, service):
        """The session start and stop messages delivered: (seq, kind, title)."""
        with self.lock:
            return [r for r in self.received[service] if r[1] in ("start", "stop")]

    def close(self):
        self.httpd.shutdown()
