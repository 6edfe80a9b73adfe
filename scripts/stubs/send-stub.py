#!/usr/bin/env python3
"""A Firehose PutRecordBatch and EventBridge PutEvents server (AWS JSON 1.1) for `send`'s fault tests, crash
trials and benchmark, on 127.0.0.1 port 0 (printed as `PORT <n>`), until SIGTERM or SIGINT. Standard library only.

    send-stub.py [--stream NAME]... [--event-bus NAME]... [--faults FILE] [--seed N] [--delay-ms N] [--process-delay-ms N]
                 [--record FILE] [--verbose]

Both APIs answer on one port, told apart by X-Amz-Target. Every item received is identified by a digest:
the SHA-256 hex of the decoded Data of a Firehose record; for an EventBridge entry, the SHA-256 hex of the
entry as received, re-serialized canonically (Python's json.dumps with sort_keys=True, separators=(",", ":"),
ensure_ascii=False, in UTF-8). An item's attempt number is how many times its digest has reached per-item
processing (calls refused as a whole do not count), so identical payloads share one count.

Accepted items are counted per digest, and appended (one hex digest per line, written before the answer is sent)
to --record FILE, which outlives a client killed with -9. Items are processed before the answer is delayed or cut:
a client that times out or loses the connection may have delivered them, as with the real services.

Signatures are not checked. Recorded instead: whether Authorization came, the access key id of its credential
(an identifier, not a secret) and a 12-hex SHA-256 prefix of x-amz-security-token (never the token itself).

What the services check is checked here too, before any item is looked at (whole-call 400s): Firehose at most
500 records, 1,000 KiB per record and 4 MiB per call, valid base64, an existing stream (ResourceNotFoundException;
with no --stream every name exists); EventBridge 1 to 10 entries and 256 KiB in all (ValidationException). Per
entry: missing Source/DetailType/Detail or an unknown bus -> InvalidArgument, Detail not a JSON object ->
MalformedDetail.

--faults FILE is a JSON list of rules (the Rule class says what they match and do). GET /__stats answers what was
received, as JSON (`?brief=1` leaves out the per-digest counts and the log); DELETE /__stats resets it (not the
--record file):
    {"requests", "calls": {"firehose", "eventbridge"}, "statuses": {"200": n, ...}, "acceptedItems",
     "acceptedDistinct", "duplicates" (acceptances beyond the first, all digests), "accepted": {digest: count},
     "rejectedItems", "rejected": [{"digest", "code", "attempt", "api", "index", "request"}],
     "faultsFired": [{"index", "rule", "fired"}], "maxInFlight", "targets": {stream or bus: items},
     "auth": {"withAuthorization", "withoutAuthorization", "accessKeyIds": {id: n}, "tokenHashes": [...]},
     "log": [{"n", "api", "target", "status", "items", "accepted", "failed", "codes", "faults", "cut", ...}]}
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid

from stubkit import CREDENTIAL_KEY, StubHandler, load_rules, rule_action, run, token_hash

FIREHOSE = "Firehose_20150804.PutRecordBatch"
EVENTS = "AWSEvents.PutEvents"
APIS = {FIREHOSE: "firehose", EVENTS: "eventbridge"}

FIREHOSE_MAX_RECORDS = 500
FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024
FIREHOSE_MAX_CALL_BYTES = 4 * 1024 * 1024
EVENTS_MAX_ENTRIES = 10
EVENTS_MAX_BYTES = 256 * 1024

RETRYABLE = {"ServiceUnavailableException", "InternalFailure", "ThrottlingException"}
MESSAGES = {
    "ServiceUnavailableException": "Slow down.",
    "ThrottlingException": "Rate exceeded",
    "InternalFailure": "An internal error occurred.",
    "InvalidArgument": "Injected: the entry is not valid.",
    "MalformedDetail": "Detail is malformed.",
}


def canonical(entry):
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_size(entry):
    """The entry size EventBridge counts: 14 bytes for Time, plus the UTF-8 of Source, DetailType, Detail and
    each Resource."""
    size = 14 if entry.get("Time") is not None else 0
    for field in ("Source", "DetailType", "Detail"):
        if isinstance(entry.get(field), str):
            size += len(entry[field].encode("utf-8"))
    for resource in entry.get("Resources") or []:
        if isinstance(resource, str):
            size += len(resource.encode("utf-8"))
    return size


def chance(seed, rule_index, digest, attempt):
    """A number in [0, 1) fixed by the seed, the rule, the item and its attempt: the same items fail whatever
    the order in which concurrent requests arrive."""
    h = hashlib.sha256(("%s:%d:%s:%d" % (seed, rule_index, digest, attempt)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def check_count(values, member, most):
    """The whole-call ValidationException AWS answers for a list of the wrong length."""
    if not isinstance(values, list) or not values or len(values) > most:
        bound = "greater than or equal to 1" if not isinstance(values, list) or not values else \
            "less than or equal to %d" % most
        raise AWSError(400, "ValidationException", "1 validation error detected: Value at '%s' failed to satisfy "
                                                   "constraint: Member must have length %s" % (member, bound))


class AWSError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Rule:
    """One fault rule of --faults. Every rule may name "api": "firehose" | "eventbridge" (absent: both).

    Item rules fail single items inside a 200 answer:
      {"item_error": CODE, "message": "...", selectors...}
      CODE is any string; retryable ones are ServiceUnavailableException, InternalFailure, ThrottlingException,
      permanent ones InvalidArgument, MalformedDetail. Selectors (all optional, all must hold):
        "digest": HEX | [HEX, ...]     the item's digest
        "index": N | [N, ...]          the item's 0-based position in its request
        "index_mod": [K, R]            position % K == R
        "attempts": [N, ...]           the item's attempt numbers (1 = first time seen); absent: every attempt
        "fraction": F                  only a fraction F of the items otherwise matched, chosen from --seed
        "times": N                     fail at most N items in all
    Call rules act on whole calls; they count the calls they match ("api" only) and fire on
      "calls": [N, ...] (1-based), or "first": N, or "every": K (the Kth, 2Kth, ...), or, with none of these,
      every call; then "after": N lets N more of those through first, "times": N fires at most N times.
      {"call_error": CODE, "status": S, "message": "..."}   an AWS JSON error; status defaults to 500 for
          InternalFailure and 400 otherwise (ServiceUnavailableException / ThrottlingException = throttled)
      {"delay_ms": N}                                      wait N ms before answering (after processing)
      {"cut_after_bytes": N, "cut_mode": "close"|"reset"}  process the call, send the first N bytes of the
          whole HTTP answer (status line and headers included: 0 = nothing), then close (FIN) or reset (RST)
    A call_error ends the call before its items are looked at; delay and cut rules combine with each other.
    """

    ITEM_FIELDS = {"digest", "index", "index_mod", "attempts", "fraction", "times", "message"}
    CALL_FIELDS = {"calls", "first", "every", "after", "times", "status", "message", "cut_mode"}
    ACTIONS = ("item_error", "call_error", "delay_ms", "cut_after_bytes")

    def __init__(self, index, spec):
        self.index, self.spec, self.action = index, spec, rule_action(index, spec, self.ACTIONS)
        allowed = (self.ITEM_FIELDS if self.action == "item_error" else self.CALL_FIELDS) | {self.action, "api"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError("fault rule %d (%s) has unknown fields %s" % (index, self.action, sorted(unknown)))
        if spec.get("api") not in (None, "firehose", "eventbridge"):
            raise ValueError("fault rule %d: api must be firehose or eventbridge" % index)
        if spec.get("cut_mode", "close") not in ("close", "reset"):
            raise ValueError("fault rule %d: cut_mode must be close or reset" % index)
        if len([k for k in ("calls", "first", "every") if k in spec]) > 1:
            raise ValueError("fault rule %d: use one of calls, first, every" % index)
        if "index_mod" in spec and not (isinstance(spec["index_mod"], list) and len(spec["index_mod"]) == 2
                                        and spec["index_mod"][0] > 0):
            raise ValueError("fault rule %d: index_mod is [K, R] with K > 0" % index)
        self.seen = 0  # matching calls
        self.passed = 0  # selected calls let through by "after"
        self.fired = 0

    def exhausted(self):
        return "times" in self.spec and self.fired >= self.spec["times"]

    def for_api(self, api):
        return self.spec.get("api", api) == api

    def select_call(self):
        """Counts a matching call and says whether the rule fires on it (called under the store's lock)."""
        s = self.spec
        self.seen += 1
        if "calls" in s:
            selected = self.seen in s["calls"]
        elif "first" in s:
            selected = self.seen <= s["first"]
        elif "every" in s:
            selected = self.seen % s["every"] == 0
        else:
            selected = True
        if not selected or self.exhausted():
            return False
        if self.passed < s.get("after", 0):
            self.passed += 1
            return False
        self.fired += 1
        return True

    def select_item(self, seed, position, digest, attempt):
        s = self.spec
        if self.exhausted():
            return False
        if "digest" in s and digest not in ([s["digest"]] if isinstance(s["digest"], str) else s["digest"]):
            return False
        if "index" in s and position not in ([s["index"]] if isinstance(s["index"], int) else s["index"]):
            return False
        if "index_mod" in s and position % s["index_mod"][0] != s["index_mod"][1]:
            return False
        if "attempts" in s and attempt not in s["attempts"]:
            return False
        if "fraction" in s and chance(seed, self.index, digest, attempt) >= s["fraction"]:
            return False
        self.fired += 1
        return True


class Store:
    """Fault rules and what was received, behind one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.streams, self.buses = set(args.stream), set(args.event_bus)
        self.seed, self.delay, self.verbose = args.seed, args.delay_ms / 1000.0, args.verbose
        # Before a call's items are taken: a client killed then has sent a call that never counted.
        self.process_delay = args.process_delay_ms / 1000.0
        self.rules = [Rule(i, s) for i, s in enumerate(load_rules(args.faults))]
        self.record_fd = None
        if args.record:
            self.record_fd = os.open(args.record, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.reset()

    def close(self):
        if self.record_fd is not None:
            os.close(self.record_fd)

    def reset(self):
        with self.lock:
            self.requests = 0
            self.calls = {"firehose": 0, "eventbridge": 0}
            self.statuses = {}
            self.attempts = {}  # digest -> times it reached per-item processing
            self.accepted = {}  # digest -> times accepted
            self.accepted_items = 0
            self.rejected = []
            self.in_flight = self.max_in_flight = 0
            self.auth_with = self.auth_without = 0
            self.key_ids = {}
            self.token_hashes = []
            self.targets = {}  # stream or bus name -> items received
            self.log = []
            for rule in self.rules:
                rule.seen = rule.passed = rule.fired = 0

    def begin(self, headers, entry):
        auth = headers.get("Authorization")
        token = headers.get("x-amz-security-token")
        with self.lock:
            self.requests += 1
            entry["n"] = self.requests
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if auth:
                self.auth_with += 1
                key_id = CREDENTIAL_KEY.search(auth)
                if key_id:
                    self.key_ids[key_id.group(1)] = self.key_ids.get(key_id.group(1), 0) + 1
                    entry["accessKeyId"] = key_id.group(1)
            else:
                self.auth_without += 1
            entry["auth"] = bool(auth)
            if token is not None:
                hashed = token_hash(token)
                entry["token"] = hashed
                if hashed not in self.token_hashes:
                    self.token_hashes.append(hashed)
            self.log.append(entry)

    def end(self, entry):
        with self.lock:
            self.in_flight -= 1
            status = str(entry.get("status"))
            self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.verbose:
            print("send-stub: " + json.dumps(entry, sort_keys=True), file=sys.stderr, flush=True)

    def call_faults(self, api):
        """The call rules that fire on this call, in order, up to and including the first call_error."""
        fired = []
        with self.lock:
            self.calls[api] += 1
            for rule in self.rules:
                if rule.action == "item_error" or not rule.for_api(api):
                    continue
                if rule.select_call():
                    fired.append(rule)
                    if rule.action == "call_error":
                        break
        return fired

    def process_items(self, api, request_number, items):
        """items: [(digest, natural_error or None, target)]. Returns [(code, message) or None] in order, with
        accepted items counted and recorded before the caller answers."""
        outcomes, lines = [], []
        with self.lock:
            for position, (digest, natural, target) in enumerate(items):
                self.targets[target] = self.targets.get(target, 0) + 1
                attempt = self.attempts.get(digest, 0) + 1
                self.attempts[digest] = attempt
                error = natural
                if error is None:
                    for rule in self.rules:
                        if rule.action == "item_error" and rule.for_api(api) and \
                                rule.select_item(self.seed, position, digest, attempt):
                            code = rule.spec["item_error"]
                            error = (code, rule.spec.get("message", MESSAGES.get(code, "Injected failure (rule %d)" % rule.index)))
                            break
                if error is None:
                    self.accepted[digest] = self.accepted.get(digest, 0) + 1
                    self.accepted_items += 1
                    lines.append(digest + "\n")
                else:
                    self.rejected.append({"digest": digest, "code": error[0], "attempt": attempt, "api": api,
                                          "index": position, "request": request_number})
                outcomes.append(error)
            if self.record_fd is not None and lines:
                # One write per call with O_APPEND: lines of concurrent calls never interleave.
                data = "".join(lines).encode("ascii")
                while data:
                    data = data[os.write(self.record_fd, data):]
        return outcomes

    def stats(self, brief=False):
        with self.lock:
            out = {
                "requests": self.requests,
                "calls": dict(self.calls),
                "statuses": dict(self.statuses),
                "acceptedItems": self.accepted_items,
                "acceptedDistinct": len(self.accepted),
                "duplicates": sum(c - 1 for c in self.accepted.values() if c > 1),
                "rejectedItems": len(self.rejected),
                "rejected": list(self.rejected),
                "faultsFired": [{"index": r.index, "rule": r.spec, "fired": r.fired} for r in self.rules],
                "maxInFlight": self.max_in_flight,
                "targets": dict(self.targets),
                "auth": {"withAuthorization": self.auth_with, "withoutAuthorization": self.auth_without,
                         "accessKeyIds": dict(self.key_ids), "tokenHashes": list(self.token_hashes)},
            }
            if not brief:
                out["accepted"] = dict(self.accepted)
                out["log"] = [dict(e) for e in self.log]
            return out


def parse_firehose(store, body):
    """[(digest, natural_error, stream)] of a PutRecordBatch body, or AWSError for the whole call."""
    stream = body.get("DeliveryStreamName")
    records = body.get("Records")
    if not isinstance(stream, str) or not stream:
        raise AWSError(400, "ValidationException", "1 validation error detected: Value null at 'deliveryStreamName' "
                                                   "failed to satisfy constraint: Member must not be null")
    check_count(records, "records", FIREHOSE_MAX_RECORDS)
    if store.streams and stream not in store.streams:
        raise AWSError(400, "ResourceNotFoundException", "Firehose %s under account 123456789012 not found." % stream)
    items, total = [], 0
    for i, record in enumerate(records):
        try:
            data = base64.b64decode(record["Data"], validate=True)
        except (KeyError, TypeError, binascii.Error, ValueError):
            raise AWSError(400, "SerializationException", "Records[%d].Data is not base64" % i)
        if len(data) > FIREHOSE_MAX_RECORD_BYTES:
            raise AWSError(400, "ValidationException", "1 validation error detected: Value at 'records.%d.member.data' "
                                                       "failed to satisfy constraint: Member must have length less "
                                                       "than or equal to 1024000" % (i + 1))
        total += len(data)
        items.append((hashlib.sha256(data).hexdigest(), None, stream))
    if total > FIREHOSE_MAX_CALL_BYTES:
        raise AWSError(400, "InvalidArgumentException", "Records size exceeds 4 MB limit")
    return items


def parse_events(store, body):
    entries = body.get("Entries")
    check_count(entries, "entries", EVENTS_MAX_ENTRIES)
    if not all(isinstance(e, dict) for e in entries):
        raise AWSError(400, "SerializationException", "Entries holds something other than objects")
    if sum(event_size(e) for e in entries) > EVENTS_MAX_BYTES:
        raise AWSError(400, "ValidationException", "Total size of the entries in the request is over the limit.")
    items = []
    for e in entries:
        bus = e.get("EventBusName") or "default"
        natural = None
        missing = [f for f in ("Source", "DetailType", "Detail") if not isinstance(e.get(f), str) or not e.get(f)]
        if missing:
            natural = ("InvalidArgument", "Parameter(s) %s must be specified as part of the request." % ", ".join(missing))
        elif store.buses and bus not in store.buses:
            natural = ("InvalidArgument", "Event bus %s does not exist." % bus)
        else:
            try:
                detail = json.loads(e["Detail"])
            except ValueError:
                detail = None
            if not isinstance(detail, dict):
                natural = ("MalformedDetail", "Detail is malformed.")
        items.append((hashlib.sha256(canonical(e)).hexdigest(), natural, bus))
    return items


class Handler(StubHandler):
    server_version = "send-stub"

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer_bytes(self, status, body, content_type):
        head = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("",))[0]),
                "Server: send-stub", "Content-Type: %s" % content_type,
                "x-amzn-RequestId: %s" % uuid.uuid4(), "Content-Length: %d" % len(body)]
        return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body

    def do_GET(self):
        split = urllib.parse.urlsplit(self.path)
        if split.path != "/__stats":
            self.read_body()
            self.wfile.write(self.answer_bytes(404, b"", "text/plain"))
            return
        brief = urllib.parse.parse_qs(split.query).get("brief", ["0"])[0] not in ("0", "")
        body = json.dumps(self.server.store.stats(brief), indent=1, sort_keys=True).encode()
        self.wfile.write(self.answer_bytes(200, body, "application/json"))

    def do_DELETE(self):
        self.read_body()
        if urllib.parse.urlsplit(self.path).path == "/__stats":
            self.server.store.reset()
            self.wfile.write(self.answer_bytes(204, b"", "text/plain"))
        else:
            self.wfile.write(self.answer_bytes(404, b"", "text/plain"))

    def do_POST(self):
        store = self.server.store
        raw = self.read_body()
        target = self.headers.get("X-Amz-Target", "")
        api = APIS.get(target)
        entry = {"target": target, "api": api, "bytesIn": len(raw)}
        store.begin(self.headers, entry)
        try:
            self.handle_call(store, api, raw, entry)
        except (BrokenPipeError, ConnectionResetError):
            entry["status"] = "client-closed"
            self.close_connection = True
        finally:
            store.end(entry)

    def client_gone(self):
        """True when the client closed its end (a killed process): a peek finds the end of the stream."""
        import select
        import socket
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def handle_call(self, store, api, raw, entry):
        delay, cut, cut_mode = store.delay, None, "close"
        try:
            if api is None:
                raise AWSError(400, "UnknownOperationException", "X-Amz-Target %r is not served here" % entry["target"])
            # The log names how many items a call held even when it is refused whole.
            try:
                peek = json.loads(raw)
                entry["items"] = len(peek.get("Records") or peek.get("Entries") or []) if isinstance(peek, dict) else 0
            except ValueError:
                entry["items"] = 0
            faults = store.call_faults(api)
            if faults:
                entry["faults"] = [r.index for r in faults]
            for rule in faults:
                if rule.action == "delay_ms":
                    delay += rule.spec["delay_ms"] / 1000.0
                elif rule.action == "cut_after_bytes":
                    cut, cut_mode = rule.spec["cut_after_bytes"], rule.spec.get("cut_mode", "close")
                else:
                    code = rule.spec["call_error"]
                    status = rule.spec.get("status", 500 if code == "InternalFailure" else 400)
                    raise AWSError(status, code, rule.spec.get("message", MESSAGES.get(code, "Injected (rule %d)" % rule.index)))
            try:
                body = json.loads(raw)
            except ValueError:
                raise AWSError(400, "SerializationException", "The request body is not JSON")
            if not isinstance(body, dict):
                raise AWSError(400, "SerializationException", "The request body is not a JSON object")
            items = parse_firehose(store, body) if api == "firehose" else parse_events(store, body)
            entry["items"] = len(items)
            entry["target_name"] = items[0][2] if items else None
            if store.process_delay:
                time.sleep(store.process_delay)
                if self.client_gone():
                    # The client died while its call waited: like a request lost with its connection, nothing
                    # of it is taken.
                    entry["status"] = "client-gone"
                    self.close_connection = True
                    return
            outcomes = store.process_items(api, entry["n"], items)
            failed = sum(1 for o in outcomes if o is not None)
            entry["accepted"], entry["failed"] = len(items) - failed, failed
            if failed:
                entry["codes"] = sorted({o[0] for o in outcomes if o is not None})
            if api == "firehose":
                answer = {"FailedPutCount": failed, "Encrypted": False, "RequestResponses": [
                    {"RecordId": uuid.uuid4().hex + uuid.uuid4().hex} if o is None else
                    {"ErrorCode": o[0], "ErrorMessage": o[1]} for o in outcomes]}
            else:
                answer = {"FailedEntryCount": failed, "Entries": [
                    {"EventId": str(uuid.uuid4())} if o is None else
                    {"ErrorCode": o[0], "ErrorMessage": o[1]} for o in outcomes]}
            status, payload = 200, json.dumps(answer).encode()
        except AWSError as err:
            entry["code"] = err.code
            status, payload = err.status, json.dumps({"__type": err.code, "message": err.message}).encode()
        entry["status"] = status
        if delay:
            time.sleep(delay)
        data = self.answer_bytes(status, payload, "application/x-amz-json-1.1")
        if cut is None:
            self.wfile.write(data)
            return
        entry["cut"] = min(cut, len(data))
        self.wfile.write(data[:cut])
        self.server.cut(self, cut_mode)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stream", action="append", default=[],
                    help="a delivery stream that exists (repeatable; none: every name exists)")
    ap.add_argument("--event-bus", action="append", default=[],
                    help="an event bus that exists (repeatable; none: every name exists); entries naming another "
                         "fail with InvalidArgument")
    ap.add_argument("--faults", help="JSON file: a list of fault rules")
    ap.add_argument("--seed", type=int, default=0, help="chooses the items of fraction rules")
    ap.add_argument("--delay-ms", type=int, default=0, help="wait before every answer of an API call")
    ap.add_argument("--process-delay-ms", type=int, default=0,
                    help="wait before taking a call's items (a client killed meanwhile sent a call that did not count)")
    ap.add_argument("--record", metavar="FILE", help="append the digest of every accepted item, one per line")
    ap.add_argument("--verbose", action="store_true", help="one JSON line per call on stderr")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("send-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
