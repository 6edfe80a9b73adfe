#!/usr/bin/env python3
"""EC2 instance metadata (IMDSv2) and container credentials on 127.0.0.1, on a free port printed as
`PORT <n>`, for the credential tests (never the real 169.254.x addresses).

IMDSv2: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds and hands out a token; the
credential paths answer 401 without that token (or 200 without one with --imds-v1, where the PUT answers 405).
Container: GET /container/creds records the Authorization header it got (401 when --require-auth is given and
the header differs from the first line of that file, re-read on each request).
Each credentials answer is numbered: AccessKeyId ASIASTUB<KIND><n>, secret stub-secret-<kind>-<n>, token
stub-token-<kind>-<n>, expiring --expiry-seconds from now (short ones force the client to refresh).
GET /_stats answers the counts as JSON. Runs until SIGTERM or SIGINT."""
import argparse
import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--expiry-seconds", type=int, default=3600)
parser.add_argument("--role", default="stub-role")
parser.add_argument("--imds-v1", action="store_true")
parser.add_argument("--require-auth", help="file whose first line is the expected Authorization value")
args = parser.parse_args()

lock = threading.Lock()
stats = {"token_puts": 0, "token_puts_without_ttl": 0, "role_lists": 0, "role_gets": 0, "unauthorized": 0,
         "container_gets": 0, "authorizations": []}
tokens = set()


def expiration():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + args.expiry_seconds))


def credentials(kind, n):
    return {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": f"ASIASTUB{kind.upper()}{n}",
            "SecretAccessKey": f"stub-secret-{kind}-{n}", "Token": f"stub-token-{kind}-{n}",
            "Expiration": expiration(), "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def answer(self, status, body=b"", content_type="text/plain"):
        if isinstance(body, (dict, list)):
            body, content_type = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != "/latest/api/token":
            return self.answer(404)
        if args.imds_v1:
            return self.answer(405)
        with lock:
            stats["token_puts"] += 1
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                stats["token_puts_without_ttl"] += 1
                return self.answer(400)
            token = f"imds-session-{stats['token_puts']}"
            tokens.add(token)
        self.answer(200, token)

    def do_GET(self):
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/_stats":
            with lock:
                return self.answer(200, dict(stats))
        if self.path.startswith(base):
            with lock:
                if not args.imds_v1 and self.headers.get("X-aws-ec2-metadata-token") not in tokens:
                    stats["unauthorized"] += 1
                    return self.answer(401)
                if self.path == base:
                    stats["role_lists"] += 1
                    return self.answer(200, args.role)
                if self.path == base + args.role:
                    stats["role_gets"] += 1
                    return self.answer(200, credentials("imds", stats["role_gets"]))
            return self.answer(404)
        if self.path == "/container/creds":
            with lock:
                got = self.headers.get("Authorization")
                stats["authorizations"].append(got)
                if args.require_auth:
                    with open(args.require_auth) as f:
                        expected = f.readline().strip()
                    if got != expected:
                        stats["unauthorized"] += 1
                        return self.answer(401, {"message": "bad token"})
                stats["container_gets"] += 1
                return self.answer(200, credentials("container", stats["container_gets"]))
        self.answer(404)


signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
print(f"PORT {server.server_address[1]}", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
server.shutdown()
