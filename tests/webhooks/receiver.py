"""A webhook receiver for Doorman's tests: verifies every delivery with the Standard Webhooks
specification's own library (PyPI `standardwebhooks`) and keeps what it accepted.

Prints one JSON line, {"base": "http://127.0.0.1:<port>"}, then serves until its standard input
closes:
  POST /hook/<name>          a delivery for receiver <name>: verified with its secret; answers
                             as its behaviour says (below), else 204
  PUT  /control/<name>       {"secrets": [...], "behaviour": [...]} sets its secrets (any one
                             verifies) and what its next requests get, one entry each:
                             "ok", "500", "slow" (answers after 3 s), "drop" (closes the
                             connection); after the list, "ok"
  GET  /control/<name>       {"accepted": [{"id", "type", "data", "signatures"}], "rejected": n,
                             "requests": n}
A delivery counts as accepted only when it verified and was answered 2xx.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

LOCK = threading.Lock()
RECEIVERS = {}


def receiver(name):
    return RECEIVERS.setdefault(
        name, {"secrets": [], "behaviour": [], "accepted": [], "rejected": 0, "requests": 0}
    )


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length)

    def do_GET(self):
        name = self.path.removeprefix("/control/")
        with LOCK:
            state = receiver(name)
            self.answer(200, {k: state[k] for k in ("accepted", "rejected", "requests")})

    def do_PUT(self):
        name = self.path.removeprefix("/control/")
        settings = json.loads(self.body())
        with LOCK:
            state = receiver(name)
            state["secrets"] = settings.get("secrets", state["secrets"])
            state["behaviour"] = list(settings.get("behaviour", []))
        self.answer(200, {})

    def do_POST(self):
        name = self.path.removeprefix("/hook/")
        body = self.body()
        headers = {key.lower(): value for key, value in self.headers.items()}
        with LOCK:
            state = receiver(name)
            state["requests"] += 1
            behaviour = state["behaviour"].pop(0) if state["behaviour"] else "ok"
            secrets = list(state["secrets"])
        if behaviour == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if behaviour == "slow":
            time.sleep(3)
        if behaviour == "500":
            self.answer(500, {"error": "not now"})
            return
        verified = None
        for secret in secrets:
            try:
                verified = Webhook(secret).verify(body, headers)
                break
            except WebhookVerificationError:
                continue
        if verified is None:
            with LOCK:
                state["rejected"] += 1
            self.answer(400, {"error": "signature"})
            return
        with LOCK:
            state["accepted"].append(
                {
                    "id": headers["webhook-id"],
                    "type": verified["type"],
                    "data": verified["data"],
                    "signatures": headers["webhook-signature"].split(" "),
                }
            )
        self.answer(204)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"base": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
