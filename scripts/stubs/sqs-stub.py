#!/usr/bin/env python3
"""An in-memory SQS (AWS JSON 1.0) for `deadletter`'s `sqs://QUEUE` input and `redrive` fault tests, on 127.0.0.1
port 0 (printed as `PORT <n>`), until SIGTERM or SIGINT. Standard library only.

    sqs-stub.py --queue NAME [--queue NAME]... [--redrive-policy NAME=TARGET:MAX]... [--seed-file NAME=FILE]...
                [--visibility-timeout S] [--faults FILE] [--seed N] [--delay-ms N] [--process-delay-ms N]
                [--record FILE] [--verbose]

`POST /` with `X-Amz-Target: AmazonSQS.<Op>`: GetQueueUrl, GetQueueAttributes, SendMessage, SendMessageBatch,
ReceiveMessage, DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch.
Queue URL http://127.0.0.1:PORT/123456789012/NAME, ARN arn:aws:sqs:us-east-1:123456789012:NAME.
Errors are {"__type": "com.amazonaws.sqs#Code", "message": ...} with `x-amzn-query-error: QueryCode;Sender`
(Receiver for 5xx), the header botocore turns into the error code it shows (AWS.SimpleQueueService.NonExistentQueue,
ReceiptHandleIsInvalid, InvalidParameterValue, ...).

SQS behaviours, as chosen here:
  - Visibility: a received message is in flight until its timeout passes or its visibility is changed to 0;
    ApproximateReceiveCount counts receives; every receive gives a new receipt handle.
  - Receipt handles (the DeleteMessage documentation: "you must provide the most recently received ReceiptHandle
    for the message (otherwise, the request succeeds, but the message will not be deleted)"): deleting with an
    older handle of the message succeeds and deletes nothing (counted as staleDeletes); deleting a message already
    deleted succeeds; a handle this stub never gave is ReceiptHandleIsInvalid. Changing visibility with anything
    but the latest handle of a message not deleted is ReceiptHandleIsInvalid; of a message not in flight,
    AWS.SimpleQueueService.MessageNotInflight.
  - An empty receive answers `{}` (no Messages key), as SQS's JSON protocol does.
  - MD5OfBody and MD5OfMessageAttributes are computed as SQS does (the attributes' MD5 over the names sorted, each
    name, data type, transport byte 1 (String/Number) or 2 (Binary) and value, each length-prefixed big-endian).
  - A RedrivePolicy NAME=TARGET:MAX: a message received MAX times moves to TARGET on its next receive (keeping its
    MessageId, body, attributes, SentTimestamp and receive count) instead of being received.
  - --seed-file NAME=FILE loads an `aws sqs receive-message` dump, keeping each message's MessageId, Body,
    MessageAttributes, SentTimestamp and SenderId (receive counts start at 0); a MessageId repeated is loaded once;
    a file may hold several dumps one after the other.

--faults FILE is a JSON list of rules (the Rule class). --record FILE: the MessageId of every message deleted, one
per line, appended before the answer that confirms the delete. GET /__stats (`?brief=1` leaves out per-message
tables and the log), DELETE /__stats resets the counts (not the queues, not the --record file):
    {"requests", "calls": {"receive", "delete", "visibility", "attributes", "send", "geturl"}, "statuses",
     "queues": {NAME: {"visible", "inFlight", "deleted", "messages": {MessageId: {"receives", "deleted", "visible"}}}},
     "deletedIds": [MessageId, ... in order], "released" (visibility set to 0), "movedByRedrive", "staleDeletes",
     "redelivered", "acceptedItems" (deletes), "duplicates", "rejectedItems", "rejected": [{"digest" (MessageId),
     "code", "attempt", "api", "index", "request"}], "faultsFired", "maxInFlight", "targets": {queue: calls},
     "auth": {..., "accessKeyIds", "tokenHashes"}, "log": [{"n", "op", "api", "queue", "status", ...}]}
Signatures are not checked; the access key id and a 12-hex hash of x-amz-security-token are kept, never secrets.
"""

import base64
import binascii
import hashlib
import json
import re
import struct
import sys
import threading
import time
import uuid

import stubkit
from stubkit import FaultHandler, common_args, run

ACCOUNT = "123456789012"
REGION = "us-east-1"
OPS = {
    "GetQueueUrl": "geturl", "GetQueueAttributes": "attributes", "SendMessage": "send", "SendMessageBatch": "send",
    "ReceiveMessage": "receive", "DeleteMessage": "delete", "DeleteMessageBatch": "delete",
    "ChangeMessageVisibility": "visibility", "ChangeMessageVisibilityBatch": "visibility",
}
# __type short name -> the code of x-amzn-query-error (what botocore reports)
QUERY_CODES = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue",
    "BatchEntryIdsNotDistinct": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
    "EmptyBatchRequest": "AWS.SimpleQueueService.EmptyBatchRequest",
    "TooManyEntriesInBatchRequest": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
    "InvalidBatchEntryId": "AWS.SimpleQueueService.InvalidBatchEntryId",
    "MessageNotInflight": "AWS.SimpleQueueService.MessageNotInflight",
    "UnsupportedOperation": "AWS.SimpleQueueService.UnsupportedOperation",
}
MESSAGES = {
    "ReceiptHandleIsInvalid": "The input receipt handle is invalid.",
    "RequestThrottled": "Request is throttled.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "The service is unavailable.",
    "QueueDoesNotExist": "The specified queue does not exist.",
}
SYSTEM_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp")
QUEUE_ATTRIBUTES = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed", "QueueArn", "VisibilityTimeout", "CreatedTimestamp",
                    "LastModifiedTimestamp", "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
                    "ReceiveMessageWaitTimeSeconds", "RedrivePolicy")
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class AWSError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message):
    return AWSError(400, "InvalidParameterValue", message)


def md5(data):
    return hashlib.md5(data).hexdigest()


def attributes_md5(attributes):
    """MD5OfMessageAttributes as SQS computes it."""
    def field(data):
        return struct.pack(">I", len(data)) + data
    out = b""
    for name in sorted(attributes):
        value = attributes[name]
        out += field(name.encode()) + field(value["DataType"].encode())
        if "StringValue" in value:
            out += b"\x01" + field(value["StringValue"].encode())
        else:
            out += b"\x02" + field(base64.b64decode(value["BinaryValue"]))
    return md5(out)


def check_attributes(attributes):
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise invalid("MessageAttributes is not a map")
    for name, value in attributes.items():
        if not isinstance(value, dict) or not isinstance(value.get("DataType"), str):
            raise invalid("The message attribute '%s' must contain a non-empty attribute type." % name)
        kind = value["DataType"].split(".", 1)[0]
        if kind in ("String", "Number") and not isinstance(value.get("StringValue"), str):
            raise invalid("The message attribute '%s' with type '%s' must use field 'String'." % (name, kind))
        if kind == "Binary":
            try:
                base64.b64decode(value.get("BinaryValue"), validate=True)
            except (TypeError, binascii.Error, ValueError):
                raise invalid("The message attribute '%s' with type 'Binary' must use field 'Binary'." % name)
        if kind not in ("String", "Number", "Binary"):
            raise invalid("The type of message (user) attribute '%s' is invalid." % name)
    return {n: {k: v for k, v in a.items() if k in ("DataType", "StringValue", "BinaryValue")}
            for n, a in attributes.items()}


class Message:
    def __init__(self, message_id, body, attributes, sent, sender):
        self.id, self.body, self.attributes, self.sent, self.sender = message_id, body, attributes, sent, sender
        self.receives, self.first_receive, self.visible_at = 0, None, 0.0
        self.handle, self.deleted = None, False

    def visible(self, now):
        return not self.deleted and self.visible_at <= now


class Queue:
    def __init__(self, name):
        self.name = name
        self.created = int(time.time())
        self.visibility_timeout = 30
        self.redrive = None  # (target name, max receive count)
        self.messages = []  # not deleted, in order of arrival
        self.by_id = {}  # every MessageId ever held, deleted ones too
        self.handles = {}  # every receipt handle given -> Message
        self.deleted = 0

    def add(self, message):
        self.messages.append(message)
        self.by_id[message.id] = message


class Rule(stubkit.Rule):
    """One fault rule of --faults. Every rule may name "api": receive | delete | visibility | attributes | send |
    geturl (absent: every api). Call rules count calls and fire as stubkit.Rule says (calls, first, every, after,
    times); entry rules select entries with stubkit's item selectors, "digest" being the MessageId, plus
    "message_id": ID | [ID, ...]; an entry's attempt is how many times that message's entry reached this api.

    Call rules:
      {"call_error": CODE, "status": S, "message": "..."}  the whole call fails before anything is done; CODE is the
          __type's short name (QueueDoesNotExist, RequestThrottled, InternalError, ...); status defaults to 500 for
          InternalError/InternalFailure, 503 for ServiceUnavailable, 400 otherwise
      {"redeliver": true | N, "api": "receive"}  the answer also holds up to N (true: 1) messages already in flight,
          with a fresh receipt handle and their receive count + 1 (SQS's at-least-once delivery), within
          MaxNumberOfMessages
      {"delay_ms": N}, {"cut_after_bytes": N, "cut_mode": "close"|"reset"}  (after the call was processed)
    Entry rules (DeleteMessageBatch and ChangeMessageVisibilityBatch only; api delete or visibility, absent: both):
      {"entry_error": CODE, "message": "...", selectors...}  that entry is in Failed (SenderFault true), nothing is
          done to its message; only entries whose receipt handle names a message are looked at
    """

    ITEM_ACTIONS = ("entry_error",)
    CALL_ACTIONS = ("call_error", "redeliver", "delay_ms", "cut_after_bytes")
    TERMINAL = ("call_error",)
    APIS = ("receive", "delete", "visibility", "attributes", "send", "geturl")
    ITEM_FIELDS = stubkit.Rule.ITEM_FIELDS | {"message_id"}
    EXTRA_FIELDS = {"entry_error": ("message",), "call_error": ("status", "message")}

    def check(self):
        s = self.spec
        if self.action == "entry_error" and s.get("api") not in (None, "delete", "visibility"):
            raise ValueError("fault rule %d: entry_error applies to api delete or visibility" % self.index)
        if self.action == "redeliver":
            if s.get("api") not in (None, "receive"):
                raise ValueError("fault rule %d: redeliver applies to api receive" % self.index)
            n = s["redeliver"]
            if not (n is True or (isinstance(n, int) and not isinstance(n, bool) and n > 0)):
                raise ValueError("fault rule %d: redeliver is true or a count > 0" % self.index)

    def for_api(self, api):
        if self.action == "redeliver" and api != "receive":
            return False
        if self.action == "entry_error" and api not in ("delete", "visibility"):
            return False
        return super().for_api(api)

    def select_item(self, seed, position, digest, attempt):
        wanted = self.spec.get("message_id")
        if wanted is not None and digest not in ([wanted] if isinstance(wanted, str) else wanted):
            return False
        return super().select_item(seed, position, digest, attempt)


class Store(stubkit.Store):
    NAME = "sqs-stub"
    RULE = Rule
    APIS = Rule.APIS

    def __init__(self, args):
        self.queues = {}
        for name in args.queue:
            self.queues[name] = Queue(name)
            self.queues[name].visibility_timeout = args.visibility_timeout
        for spec in args.redrive_policy:
            name, _, rest = spec.partition("=")
            target, _, most = rest.rpartition(":")
            if name not in self.queues or target not in self.queues or not most.isdigit() or int(most) < 1:
                raise ValueError("--redrive-policy %s: NAME=TARGET:MAX with both queues given by --queue" % spec)
            self.queues[name].redrive = (target, int(most))
        for spec in args.seed_file:
            name, _, path = spec.partition("=")
            if name not in self.queues:
                raise ValueError("--seed-file %s: queue %s is not given by --queue" % (spec, name))
            self.seed_queue(self.queues[name], path)
        super().__init__(args)
        self.ready = threading.Condition(self.lock)

    def seed_queue(self, queue, path):
        for m in stubkit.receive_message_dumps(path):
            if m["MessageId"] in queue.by_id:  # already loaded from another file
                continue
            attrs = m.get("Attributes") or {}
            sent = int(attrs.get("SentTimestamp") or time.time() * 1000)
            queue.add(Message(m["MessageId"], m["Body"], check_attributes(m.get("MessageAttributes")), sent,
                              attrs.get("SenderId", "AIDASQSSTUB")))

    def reset_own(self):
        self.deleted_ids = []
        self.released = self.moved = self.stale_deletes = self.redelivered = 0
        self.entry_attempts = {}  # (api, MessageId) -> entries that reached the api

    def item_error(self, rule, item):
        code = rule.spec["entry_error"]
        return code, rule.spec.get("message", MESSAGES.get(code, "Injected failure (rule %d)" % rule.index))

    def entry_fault(self, api, request, position, message_id):
        """The entry rule's error for this entry or None (under the lock); counts the entry's attempt."""
        key = (api, message_id)
        attempt = self.entry_attempts.get(key, 0) + 1
        self.entry_attempts[key] = attempt
        for rule in self.rules:
            if rule.per_item and rule.for_api(api) and rule.select_item(self.seed, position, message_id, attempt):
                error = self.item_error(rule, None)
                self.rejected.append({"digest": message_id, "code": error[0], "attempt": attempt, "api": api,
                                      "index": position, "request": request})
                return error
        return None

    def stats_own(self, out, brief):
        now = time.time()
        queues = {}
        for name, q in self.queues.items():
            live = [m for m in q.messages if not m.deleted]
            entry = {"visible": sum(1 for m in live if m.visible(now)),
                     "inFlight": sum(1 for m in live if not m.visible(now)), "deleted": q.deleted}
            if not brief:
                entry["messages"] = {m.id: {"receives": m.receives, "deleted": m.deleted, "visible": m.visible(now)}
                                     for m in q.by_id.values() if m in q.messages or m.deleted}
            queues[name] = entry
        out.update({"queues": queues, "deletedIds": list(self.deleted_ids), "released": self.released,
                    "movedByRedrive": self.moved, "staleDeletes": self.stale_deletes, "redelivered": self.redelivered})


def queue_of(store, body, entry):
    url = body.get("QueueUrl")
    if not isinstance(url, str) or not url:
        raise invalid("Value for parameter QueueUrl is invalid. Reason: Must specify a queue URL.")
    name = url.rstrip("/").rsplit("/", 1)[-1]
    entry["queue"] = name
    queue = store.queues.get(name)
    if queue is None:
        raise AWSError(400, "QueueDoesNotExist", MESSAGES["QueueDoesNotExist"])
    store.count(store.targets, name)
    return queue


def int_param(body, name, default, low, high):
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid("Value %s for parameter %s is invalid. Reason: Must be between %d and %d, if provided."
                      % (value, name, low, high))
    return value


def batch_entries(body, action):
    entries = body.get("Entries")
    if not isinstance(entries, list) or not entries:
        raise AWSError(400, "EmptyBatchRequest",
                       "There should be at least one %sRequestEntry in the request." % action)
    if len(entries) > 10:
        raise AWSError(400, "TooManyEntriesInBatchRequest",
                       "Maximum number of entries per request are 10. You have sent %d." % len(entries))
    ids = [e.get("Id") if isinstance(e, dict) else None for e in entries]
    if not all(isinstance(i, str) and BATCH_ID.match(i) for i in ids):
        raise AWSError(400, "InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, "
                                                   "hyphens and underscores. It can be at most 80 letters long.")
    if len(set(ids)) != len(ids):
        raise AWSError(400, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id.")
    return entries


def failed(entry_id, code, message):
    return {"Id": entry_id, "SenderFault": True, "Code": QUERY_CODES.get(code, code), "Message": message}


def new_handle():
    return "AQEB" + base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode().rstrip("=")


def receive_one(queue, m, timeout, now):
    m.receives += 1
    if m.first_receive is None:
        m.first_receive = int(now * 1000)
    m.visible_at = now + timeout
    m.handle = new_handle()
    queue.handles[m.handle] = m


def render(m, system, names):
    out = {"MessageId": m.id, "ReceiptHandle": m.handle, "MD5OfBody": md5(m.body.encode("utf-8")), "Body": m.body}
    values = {"SenderId": m.sender, "SentTimestamp": str(m.sent), "ApproximateReceiveCount": str(m.receives),
              "ApproximateFirstReceiveTimestamp": str(m.first_receive)}
    if system:
        out["Attributes"] = {k: values[k] for k in SYSTEM_ATTRIBUTES if k in system}
    chosen = {}
    for name, value in m.attributes.items():
        if any(n in ("All", ".*") or n == name or (n.endswith(".*") and name.startswith(n[:-1])) for n in names):
            chosen[name] = value
    if chosen:
        out["MD5OfMessageAttributes"] = attributes_md5(chosen)
        out["MessageAttributes"] = chosen
    return out


def op_receive(store, queue, body, rules, entry):
    most = int_param(body, "MaxNumberOfMessages", 1, 1, 10)
    timeout = int_param(body, "VisibilityTimeout", queue.visibility_timeout, 0, 43200)
    wait = int_param(body, "WaitTimeSeconds", 0, 0, 20)
    system = set(body.get("AttributeNames") or []) | set(body.get("MessageSystemAttributeNames") or [])
    if "All" in system:
        system = set(SYSTEM_ATTRIBUTES)
    names = body.get("MessageAttributeNames") or []
    redeliver = sum(1 if r.spec["redeliver"] is True else r.spec["redeliver"] for r in rules if r.action == "redeliver")
    deadline = time.time() + wait
    with store.ready:
        taken = []
        now = time.time()
        if redeliver:
            for m in queue.messages:
                if len(taken) >= min(redeliver, most):
                    break
                if not m.deleted and not m.visible(now):
                    receive_one(queue, m, timeout, now)
                    taken.append(m)
                    store.redelivered += 1
            entry["redelivered"] = len(taken)
        while True:
            now = time.time()
            for m in list(queue.messages):
                if len(taken) >= most:
                    break
                if not m.visible(now) or m in taken:
                    continue
                if queue.redrive and m.receives >= queue.redrive[1]:
                    queue.messages.remove(m)
                    target = store.queues[queue.redrive[0]]
                    m.visible_at = 0.0
                    target.add(m)
                    store.moved += 1
                    store.ready.notify_all()
                    continue
                receive_one(queue, m, timeout, now)
                taken.append(m)
            if taken or now >= deadline:
                break
            store.ready.wait(min(0.05, deadline - now))
        entry["received"] = len(taken)
        answer = [render(m, system, names) for m in taken]
    return {"Messages": answer} if answer else {}


def op_send(store, queue, body, entry, batch):
    entries = batch_entries(body, "SendMessageBatch") if batch else [body]
    checked = []
    for e in entries:
        text = e.get("MessageBody")
        if not isinstance(text, str) or not text:
            raise invalid("The request must contain the parameter MessageBody.")
        checked.append((e.get("Id"), text, check_attributes(e.get("MessageAttributes"))))
    out = []
    with store.ready:
        for entry_id, text, attrs in checked:
            m = Message(str(uuid.uuid4()), text, attrs, int(time.time() * 1000), "AIDASQSSTUB")
            queue.add(m)
            result = {"MessageId": m.id, "MD5OfMessageBody": md5(text.encode("utf-8"))}
            if attrs:
                result["MD5OfMessageAttributes"] = attributes_md5(attrs)
            if batch:
                result["Id"] = entry_id
            out.append(result)
        store.ready.notify_all()
    entry["sent"] = len(out)
    return {"Successful": out, "Failed": []} if batch else out[0]


def delete_one(store, queue, handle, deleted):
    """None when done (or nothing to do, as SQS answers), else (code, message)."""
    m = queue.handles.get(handle) if isinstance(handle, str) else None
    if m is None:
        return "ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle." % handle
    if m.deleted:
        return None
    if handle != m.handle:
        store.stale_deletes += 1
        return None
    m.deleted = True
    if m in queue.messages:
        queue.messages.remove(m)
    queue.deleted += 1
    store.deleted_ids.append(m.id)
    deleted.append(m.id)
    return None


def visibility_one(store, queue, handle, timeout):
    m = queue.handles.get(handle) if isinstance(handle, str) else None
    if m is None or m.deleted or handle != m.handle:
        return "ReceiptHandleIsInvalid", "The input receipt handle \"%s\" is not a valid receipt handle." % handle
    now = time.time()
    if m.visible(now):
        return "MessageNotInflight", "Message does not exist or is not available for visibility timeout change."
    m.visible_at = now + timeout
    if timeout == 0:
        store.released += 1
        store.ready.notify_all()
    return None


def op_batch(store, queue, body, entry, api, request):
    action = "DeleteMessageBatch" if api == "delete" else "ChangeMessageVisibilityBatch"
    entries = batch_entries(body, action)
    ok, bad, deleted = [], [], []
    with store.ready:
        for position, e in enumerate(entries):
            handle = e.get("ReceiptHandle")
            error = None
            if api == "visibility":
                timeout = e.get("VisibilityTimeout", 0)
                if not isinstance(timeout, int) or isinstance(timeout, bool) or not 0 <= timeout <= 43200:
                    error = ("InvalidParameterValue", "Value %s for parameter VisibilityTimeout is invalid. Reason: "
                                                      "Must be between 0 and 43200." % timeout)
            m = queue.handles.get(handle) if isinstance(handle, str) else None
            if error is None and m is not None:
                error = store.entry_fault(api, request, position, m.id)
            if error is None:
                error = delete_one(store, queue, handle, deleted) if api == "delete" else \
                    visibility_one(store, queue, handle, timeout)
            if error is None:
                ok.append({"Id": e["Id"]})
            else:
                bad.append(failed(e["Id"], *error))
        # Appended to --record before the answer that confirms the deletes.
        store.take(deleted)
    entry["succeeded"], entry["failed"] = len(ok), len(bad)
    if bad:
        entry["codes"] = sorted({b["Code"] for b in bad})
    return {"Successful": ok, "Failed": bad}


def op_attributes(store, queue, body):
    names = body.get("AttributeNames") or []
    if "All" in names:
        names = list(QUEUE_ATTRIBUTES)
    unknown = [n for n in names if n not in QUEUE_ATTRIBUTES]
    if unknown:
        raise AWSError(400, "InvalidAttributeName", "Unknown Attribute %s." % unknown[0])
    now = time.time()
    with store.lock:
        live = [m for m in queue.messages if not m.deleted]
        values = {
            "ApproximateNumberOfMessages": sum(1 for m in live if m.visible(now)),
            "ApproximateNumberOfMessagesNotVisible": sum(1 for m in live if not m.visible(now)),
            "ApproximateNumberOfMessagesDelayed": 0,
            "QueueArn": "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, queue.name),
            "VisibilityTimeout": queue.visibility_timeout, "CreatedTimestamp": queue.created,
            "LastModifiedTimestamp": queue.created, "DelaySeconds": 0, "MaximumMessageSize": 262144,
            "MessageRetentionPeriod": 345600, "ReceiveMessageWaitTimeSeconds": 0,
        }
        if queue.redrive:
            values["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:%s:%s:%s" % (
                REGION, ACCOUNT, queue.redrive[0]), "maxReceiveCount": queue.redrive[1]}, separators=(",", ":"))
    attrs = {n: str(values[n]) for n in names if n in values}
    return {"Attributes": attrs} if attrs else {}


class Handler(FaultHandler):
    server_version = "sqs-stub"
    CONTENT_TYPE = "application/x-amz-json-1.0"

    def extra_headers(self):
        return ["x-amzn-RequestId: %s" % uuid.uuid4()]

    def do_POST(self):
        raw = self.read_body()
        target = self.headers.get("X-Amz-Target", "")
        op = target[len("AmazonSQS."):] if target.startswith("AmazonSQS.") else None
        entry = {"op": op, "api": OPS.get(op), "bytesIn": len(raw)}
        self.serve_call(entry, lambda: self.handle_call(self.server.store, op, raw, entry))

    def handle_call(self, store, op, raw, entry):
        delay, cut, cut_mode, headers = store.delay, None, "close", []
        api = OPS.get(op)
        try:
            if api is None:
                raise AWSError(400, "UnknownOperationException", "X-Amz-Target %r is not served here"
                               % self.headers.get("X-Amz-Target", ""))
            delay, cut, cut_mode, others = self.call_rules(api, entry)
            for rule in others:
                if rule.action == "call_error":
                    code = rule.spec["call_error"]
                    status = rule.spec.get("status", 500 if code in ("InternalError", "InternalFailure") else
                                           503 if code == "ServiceUnavailable" else 400)
                    raise AWSError(status, code, rule.spec.get("message", MESSAGES.get(code, "Injected (rule %d)"
                                                                                       % rule.index)))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                raise AWSError(400, "SerializationException", "The request body is not JSON")
            if not isinstance(body, dict):
                raise AWSError(400, "SerializationException", "The request body is not a JSON object")
            if self.process_delay_lost(entry):
                return
            if op == "GetQueueUrl":
                name = body.get("QueueName")
                entry["queue"] = name
                if name not in store.queues:
                    raise AWSError(400, "QueueDoesNotExist", MESSAGES["QueueDoesNotExist"])
                answer = {"QueueUrl": "http://127.0.0.1:%d/%s/%s" % (self.server.server_address[1], ACCOUNT, name)}
            else:
                queue = queue_of(store, body, entry)
                if op == "ReceiveMessage":
                    answer = op_receive(store, queue, body, others, entry)
                elif op in ("SendMessage", "SendMessageBatch"):
                    answer = op_send(store, queue, body, entry, op == "SendMessageBatch")
                elif op == "GetQueueAttributes":
                    answer = op_attributes(store, queue, body)
                elif op in ("DeleteMessageBatch", "ChangeMessageVisibilityBatch"):
                    answer = op_batch(store, queue, body, entry, api, entry["n"])
                else:
                    # The single calls: the batch's logic, its one failure raised as the call's error.
                    one = {"Id": "single", "ReceiptHandle": body.get("ReceiptHandle")}
                    if op == "ChangeMessageVisibility":
                        if "VisibilityTimeout" not in body:
                            raise invalid("The request must contain the parameter VisibilityTimeout.")
                        one["VisibilityTimeout"] = body["VisibilityTimeout"]
                    result = op_batch(store, queue, {"Entries": [one]}, entry, api, entry["n"])
                    if result["Failed"]:
                        f = result["Failed"][0]
                        short = {v: k for k, v in QUERY_CODES.items()}.get(f["Code"], f["Code"])
                        raise AWSError(400, short, f["Message"])
                    answer = {}
            status, payload = 200, json.dumps(answer).encode()
        except AWSError as err:
            entry["code"] = err.code
            status = err.status
            payload = json.dumps({"__type": "com.amazonaws.sqs#%s" % err.code, "message": err.message}).encode()
            headers = ["x-amzn-query-error: %s;%s" % (QUERY_CODES.get(err.code, err.code),
                                                      "Receiver" if status >= 500 else "Sender")]
        self.send_answer(entry, status, payload, delay, cut, cut_mode, headers=headers)


def parse_args(argv):
    ap = common_args(__doc__.split("\n")[0], record_help="append the MessageId of every message deleted, one per line")
    ap.add_argument("--queue", action="append", default=[], required=True, help="a queue that exists (repeatable)")
    ap.add_argument("--redrive-policy", action="append", default=[], metavar="NAME=TARGET:MAX",
                    help="a RedrivePolicy on NAME: after MAX receives a message moves to TARGET on its next receive")
    ap.add_argument("--seed-file", action="append", default=[], metavar="NAME=FILE",
                    help="load an `aws sqs receive-message` dump into queue NAME (repeatable)")
    ap.add_argument("--visibility-timeout", type=int, default=30, help="the queues' default VisibilityTimeout")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("sqs-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
