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
     "auth": {"withAuthorization", "withoutAuthorization", "schemes": {"AWS4-HMAC-SHA256": n}, "accessKeyIds": {id: n},
              "services": {SigV4 scope service: n}, "tokenHashes": [...], "refused": 0},
     "log": [{"n", "api", "target", "status", "items", "accepted", "failed", "codes", "faults", "cut", ...}]}
"""

import base64
import binascii
import hashlib
import json
import sys
import uuid

import stubkit
from stubkit import FaultHandler, canonical, common_args, run

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


class Rule(stubkit.Rule):
    """One fault rule of --faults. Every rule may name "api": "firehose" | "eventbridge" (absent: both). The item
    selectors (digest, index, index_mod, attempts, fraction, times), how call rules count calls (calls, first,
    every, after, times) and the delay_ms and cut_after_bytes rules are stubkit.Rule's.

    Item rules fail single items inside a 200 answer:
      {"item_error": CODE, "message": "...", selectors...}
      CODE is any string; retryable ones are ServiceUnavailableException, InternalFailure, ThrottlingException,
      permanent ones InvalidArgument, MalformedDetail.
    Call rules:
      {"call_error": CODE, "status": S, "message": "..."}   an AWS JSON error; status defaults to 500 for
          InternalFailure and 400 otherwise (ServiceUnavailableException / ThrottlingException = throttled)
      {"delay_ms": N}, {"cut_after_bytes": N, "cut_mode": "close"|"reset"}
    A call_error ends the call before its items are looked at; delay and cut rules combine with each other.
    """

    ITEM_ACTIONS = ("item_error",)
    CALL_ACTIONS = ("call_error", "delay_ms", "cut_after_bytes")
    TERMINAL = ("call_error",)
    APIS = ("firehose", "eventbridge")
    EXTRA_FIELDS = {"item_error": ("message",), "call_error": ("status", "message")}


class Store(stubkit.Store):
    NAME = "send-stub"
    RULE = Rule
    APIS = ("firehose", "eventbridge")

    def __init__(self, args):
        self.streams, self.buses = set(args.stream), set(args.event_bus)
        super().__init__(args)

    def item_error(self, rule, item):
        code = rule.spec["item_error"]
        return code, rule.spec.get("message", MESSAGES.get(code, "Injected failure (rule %d)" % rule.index))


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


class Handler(FaultHandler):
    server_version = "send-stub"
    CONTENT_TYPE = "application/x-amz-json-1.1"

    def extra_headers(self):
        return ["x-amzn-RequestId: %s" % uuid.uuid4()]

    def do_POST(self):
        raw = self.read_body()
        target = self.headers.get("X-Amz-Target", "")
        entry = {"target": target, "api": APIS.get(target), "bytesIn": len(raw)}
        self.serve_call(entry, lambda: self.handle_call(self.server.store, APIS.get(target), raw, entry))

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
            delay, cut, cut_mode, refusals = self.call_rules(api, entry)
            for rule in refusals:
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
            if self.process_delay_lost(entry):
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
        self.send_answer(entry, status, payload, delay, cut, cut_mode)


def parse_args(argv):
    ap = common_args(__doc__.split("\n")[0])
    ap.add_argument("--stream", action="append", default=[],
                    help="a delivery stream that exists (repeatable; none: every name exists)")
    ap.add_argument("--event-bus", action="append", default=[],
                    help="an event bus that exists (repeatable; none: every name exists); entries naming another "
                         "fail with InvalidArgument")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("send-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
