#!/usr/bin/env python3
"""A Firehose HTTP endpoint delivery receiver for `send`'s http-endpoint fault tests, on 127.0.0.1 port 0
(printed as `PORT <n>`), until SIGTERM or SIGINT. Standard library only.

    http-endpoint-stub.py [--access-key-file FILE] [--faults FILE] [--seed N] [--delay-ms N]
                          [--process-delay-ms N] [--record FILE] [--verbose]

Takes POST on any path (except /__stats); the path is counted in "paths". The request is Firehose's:
headers `X-Amz-Firehose-Protocol-Version: 1.0`, `X-Amz-Firehose-Request-Id`, optionally
`X-Amz-Firehose-Access-Key` and `Content-Encoding: gzip` (the body is then gunzipped); body
`{"requestId": ID, "timestamp": ms, "records": [{"data": base64}, ...]}`. Checks, in order:
  1. --access-key-file FILE (the key, one line): X-Amz-Firehose-Access-Key must equal it, else 401. Refused
     requests count in auth.refused and are not seen by the fault rules.
  2. Call rules of --faults (below).
  3. X-Amz-Firehose-Protocol-Version must be 1.0; the body (gunzipped when so encoded) a JSON object whose
     "requestId" is a string equal to X-Amz-Firehose-Request-Id, whose "records" is a list of objects with
     base64 "data" (an empty list is allowed); else 400.
  4. Item rules (below): when one matches any record, the whole request answers its status.
Errors answer `{"requestId": the body's requestId (else the header's, else null), "timestamp": ms,
"errorMessage": "..."}`; success answers 200 `{"requestId": the same id, "timestamp": ms}`.
The whole request succeeds or fails: there are no per-record answers. On success every record is accepted.

Items: every record; digest = SHA-256 hex of its base64-decoded data. An item's attempt number is how many times
its digest has reached step 4. Accepted items are counted per digest and appended (one hex digest per line,
written before the answer is sent) to --record FILE, which outlives a client killed with -9; they are processed
before the answer is delayed, cut or given a wrong request id. A request id already accepted is accepted again
(counted in "repeatedRequestIds"), and its records again (as "duplicates"), as a real endpoint does unless it
dedupes.

--faults FILE is a JSON list of rules. Selectors and call counting are stubkit.Rule's (item: digest, index,
index_mod, attempts, fraction, times; call: calls, first, every, after, times):
  {"item_status": S, "message": M, selectors...}   a request holding a matching record answers S with M as
      errorMessage; nothing of it is taken (every record of it still counted an attempt)
  {"call_status": S, "message": M}                 the request answers S (429, 500, 503, 413, ...) before it is
      read; nothing taken
  {"wrong_request_id": true}                       the request is processed and accepted, then answered 200
      with another requestId (a client must not take it as delivered)
  {"delay_ms": N}, {"cut_after_bytes": N, "cut_mode": "close"|"reset"}
GET /__stats answers (`?brief=1` leaves out "accepted" and "log"); DELETE /__stats resets it (not the --record
file):
    {"requests", "calls": {"deliver"}, "statuses": {"200": n, ...}, "acceptedItems", "acceptedDistinct",
     "duplicates", "accepted": {digest: count}, "rejectedItems",
     "rejected": [{"digest", "code" ("item_status"), "status", "attempt", "api", "index", "request"}],
     "faultsFired": [{"index", "rule", "fired"}], "maxInFlight", "paths": {path: records received},
     "requestIds" (distinct ids accepted), "repeatedRequestIds" (acceptances of an id already accepted),
     "auth": {"withAccessKey", "withoutAccessKey", "tokenHashes": [12-hex of access keys], "refused",
              "withAuthorization", "withoutAuthorization", "schemes", "accessKeyIds", "services"},
     "log": [{"n", "path", "requestId", "status", "items", "accepted", "faults", "cut", "token", ...}]}
The access key never appears in stats, log, stderr or the record file (a 12-hex SHA-256 prefix only).
"""

import base64
import binascii
import gzip
import json
import sys
import urllib.parse
import uuid
import zlib

import stubkit
from stubkit import FaultHandler, common_args, digest_of, millis, read_secret, run

API = "deliver"


class EndpointError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class Rule(stubkit.Rule):
    ITEM_ACTIONS = ("item_status",)
    CALL_ACTIONS = ("call_status", "wrong_request_id", "delay_ms", "cut_after_bytes")
    TERMINAL = ("call_status",)
    EXTRA_FIELDS = {"item_status": ("message",), "call_status": ("message",)}

    def check(self):
        if self.action in ("item_status", "call_status") and not isinstance(self.spec[self.action], int):
            raise ValueError("fault rule %d: %s is an HTTP status" % (self.index, self.action))


class Store(stubkit.Store):
    NAME = "http-endpoint-stub"
    RULE = Rule
    APIS = (API,)
    TARGETS = "paths"

    def __init__(self, args):
        self.access_key = read_secret(args.access_key_file, "access key") if args.access_key_file else None
        super().__init__(args)

    def reset_own(self):
        self.request_ids = set()
        self.repeated = 0
        self.auth.update(withAccessKey=0, withoutAccessKey=0)

    def note_auth(self, headers, entry):
        super().note_auth(headers, entry)
        key = headers.get("X-Amz-Firehose-Access-Key")
        self.auth["withAccessKey" if key is not None else "withoutAccessKey"] += 1
        if key is not None:
            self.note_token(key, entry)

    def item_error(self, rule, item):
        status = rule.spec["item_status"]
        return "item_status", rule.spec.get("message", "Injected failure (rule %d)" % rule.index), status

    def accept(self, request_id, digests):
        with self.lock:
            if request_id in self.request_ids:
                self.repeated += 1
            self.request_ids.add(request_id)
            self.take(digests)

    def stats_own(self, out, brief):
        out["requestIds"] = len(self.request_ids)
        out["repeatedRequestIds"] = self.repeated


def parse_request(headers, raw):
    """(requestId, [digest, ...]) of a delivery request, or EndpointError."""
    if headers.get("X-Amz-Firehose-Protocol-Version") != "1.0":
        raise EndpointError(400, "X-Amz-Firehose-Protocol-Version must be 1.0")
    if (headers.get("Content-Encoding") or "").lower() == "gzip":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise EndpointError(400, "The body is not gzip")
    try:
        body = json.loads(raw)
    except ValueError:
        raise EndpointError(400, "The body is not JSON")
    if not isinstance(body, dict) or not isinstance(body.get("requestId"), str) or \
            not isinstance(body.get("records"), list):
        raise EndpointError(400, "The body needs requestId and records")
    if headers.get("X-Amz-Firehose-Request-Id") != body["requestId"]:
        raise EndpointError(400, "X-Amz-Firehose-Request-Id does not match the body's requestId")
    digests = []
    for i, record in enumerate(body["records"]):
        try:
            digests.append(digest_of(base64.b64decode(record["data"], validate=True)))
        except (KeyError, TypeError, binascii.Error, ValueError):
            raise EndpointError(400, "records[%d].data is not base64" % i)
    return body["requestId"], digests


def body_request_id(headers, raw):
    try:
        value = json.loads(raw).get("requestId")
        if isinstance(value, str):
            return value
    except (ValueError, AttributeError):
        pass
    return headers.get("X-Amz-Firehose-Request-Id")


class Handler(FaultHandler):
    server_version = "http-endpoint-stub"

    def do_POST(self):
        raw = self.read_body()
        entry = {"path": urllib.parse.urlsplit(self.path).path, "bytesIn": len(raw)}
        if entry["path"] == "/__stats":
            self.not_found()
            return
        self.serve_call(entry, lambda: self.handle_call(self.server.store, raw, entry))

    def handle_call(self, store, raw, entry):
        delay, cut, cut_mode = store.delay, None, "close"
        answer_id = None
        try:
            if store.access_key is not None and self.headers.get("X-Amz-Firehose-Access-Key") != store.access_key:
                store.refused()
                raise EndpointError(401, "The access key is missing or not valid")
            delay, cut, cut_mode, others = self.call_rules(API, entry)
            for rule in others:
                if rule.action == "call_status":
                    raise EndpointError(rule.spec["call_status"],
                                        rule.spec.get("message", "Injected failure (rule %d)" % rule.index))
            request_id, digests = parse_request(self.headers, raw)
            entry["requestId"], entry["items"] = request_id, len(digests)
            if self.process_delay_lost(entry):
                return
            items = [(d, None, entry["path"]) for d in digests]
            failures = [o for o in store.process_items(API, entry["n"], items, defer=True) if o is not None]
            if failures:
                raise EndpointError(failures[0][2], failures[0][1])
            store.accept(request_id, digests)
            entry["accepted"] = len(digests)
            answer_id = request_id
            if any(r.action == "wrong_request_id" for r in others):
                answer_id = str(uuid.uuid4())
            status, answer = 200, {"requestId": answer_id, "timestamp": millis()}
        except EndpointError as err:
            status, answer = err.status, {"requestId": body_request_id(self.headers, raw), "timestamp": millis(),
                                          "errorMessage": err.message}
        self.send_answer(entry, status, json.dumps(answer).encode(), delay, cut, cut_mode)


def parse_args(argv):
    ap = common_args(__doc__.split("\n")[0])
    ap.add_argument("--access-key-file", metavar="FILE", help="the X-Amz-Firehose-Access-Key requests must carry")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("http-endpoint-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
