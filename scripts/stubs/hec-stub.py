#!/usr/bin/env python3
"""A Splunk HTTP Event Collector (HEC) server for `send`'s splunk-hec fault tests, on 127.0.0.1 port 0 (printed
as `PORT <n>`), until SIGTERM or SIGINT. Standard library only.

    hec-stub.py [--token-file FILE] [--ack] [--ack-after-polls N] [--faults FILE] [--seed N] [--delay-ms N]
                [--process-delay-ms N] [--record FILE] [--verbose]

Paths (query strings ignored except `channel`): events at POST /services/collector/event, /services/collector and
/services/collector/event/1.0; acknowledgement polls at POST /services/collector/ack; anything else answers 404
`{"text":"The requested URL was not found on this server.","code":404}`. Every answer is JSON `{"text","code"...}`.
Checks, in order:
  1. --token-file FILE (the token, one line): `Authorization: Splunk <token>` is required. Missing -> 401
     {"text":"Token is required","code":2}; another scheme -> 401 {"text":"Invalid authorization","code":3};
     another token -> 403 {"text":"Invalid token","code":4}. Refused requests count in auth.refused and are not seen
     by the fault rules. Without --token-file any Authorization (or none) is taken.
  2. Call rules of --faults (below).
  3. With --ack, the channel: header X-Splunk-Request-Channel or `?channel=`; missing -> 400
     {"text":"Data channel is missing","code":10}; not a GUID -> 400 {"text":"Invalid data channel","code":11}.
     Without --ack a channel is optional (counted if given) and /services/collector/ack answers 400
     {"text":"ACK is disabled","code":14}.
  4. The body: JSON objects one after the other (whitespace and newlines between them allowed, none needed).
     Only whitespace -> 400 {"text":"No data","code":5}. The first event that is not valid, counting from 0 as N:
       not JSON, or not an object          -> 400 {"text":"Invalid data format","code":6,"invalid-event-number":N}
       an object without "event"           -> 400 {"text":"Event field is required","code":12,"invalid-event-number":N}
       "event" null, "" or only whitespace -> 400 {"text":"Event field cannot be blank","code":13,"invalid-event-number":N}
     As real Splunk does on /event, the events BEFORE the invalid one are indexed: they are accepted and recorded
     at once (with --ack too: such an answer carries no ackId). The invalid event is in "rejected" (its digest is
     of its canonical object, or of the raw rest of the body when it does not parse); the events after it are
     not read.
Success: 200 {"text":"Success","code":0}, with --ack plus "ackId": n (per channel, from 0).

Items: every HEC event object; digest = SHA-256 hex of the WHOLE event object (time, host, source, sourcetype,
index, fields and event) re-serialized canonically (json.dumps with sort_keys=True, separators=(",", ":"),
ensure_ascii=False, in UTF-8). Accepted items are counted per digest and appended (one hex digest per line,
written before the answer that reveals them is sent) to --record FILE, which outlives a client killed with -9.
  - without --ack an event is accepted when its 200 answer is built (before any delay or cut);
  - with --ack an event is accepted only when indexed, that is when its ack turns true: a poll
    `POST /services/collector/ack` (same channel rules) with body {"acks":[id, ...]} answers
    {"acks":{"id":true|false, ...}}; an ack turns true at the --ack-after-polls'th poll that names it (default 1),
    its events are recorded then, and that answer is the only true one: like Splunk, an ack id answered true is
    forgotten, so later polls (and polls of unknown ids) answer false. A poll whose answer is cut has still
    turned its acks true. A body that is not {"acks":[integers]} -> 400 code 6.
Faults: --faults FILE is a JSON list of rules. Rules may name "api": "event" | "ack" (absent: both; they count the
calls of their api). Call counting (calls, first, every, after, times) and delay/cut are stubkit.Rule's:
  {"call_status": S, "text": T, "code": C}  refuse the call with status S and {"text","code"}; defaults by status:
      503 "Server is busy" 9, 500 "Internal server error" 8, 400 "Invalid data format" 6, 401 "Token is required" 2,
      403 "Invalid token" 4, others "Internal server error" 8. Nothing of the call is taken; an ack poll refused
      this way does not count as a poll.
  {"ack_lost": true}                        (event calls, needs --ack) answered 200 with an ackId that never turns
      true: its events are never recorded (a client must resend them)
  {"delay_ms": N}, {"cut_after_bytes": N, "cut_mode": "close"|"reset"}
GET /__stats answers (`?brief=1` leaves out "accepted" and "log"); DELETE /__stats resets it and forgets pending
acks (not the --record file):
    {"requests", "calls": {"event", "ack"}, "statuses": {"200": n, ...}, "acceptedItems", "acceptedDistinct",
     "duplicates", "accepted": {digest: count}, "rejectedItems",
     "rejected": [{"digest", "code" (HEC code), "status", "attempt", "api", "index", "request"}],
     "faultsFired": [{"index", "rule", "fired"}], "maxInFlight", "channels": {channel or "-": events received},
     "acks": {"issued", "polled" (ids asked about), "true", "lost", "pending"},
     "auth": {"withAuthorization", "withoutAuthorization", "schemes": {"Splunk": n}, "tokenHashes": [12-hex],
              "refused", "accessKeyIds": {}, "services": {}},
     "log": [{"n", "api", "path", "channel", "status", "code", "items", "accepted", "ackId", "faults", "cut", ...}]}
The token never appears in stats, log, stderr or the record file (a 12-hex SHA-256 prefix only).
"""

import json
import sys
import urllib.parse
import uuid

import stubkit
from stubkit import FaultHandler, canonical, common_args, digest_of, read_secret, run

EVENT_PATHS = {"/services/collector/event", "/services/collector", "/services/collector/event/1.0"}
ACK_PATH = "/services/collector/ack"
DEFAULTS = {503: ("Server is busy", 9), 500: ("Internal server error", 8), 400: ("Invalid data format", 6),
            401: ("Token is required", 2), 403: ("Invalid token", 4)}


class HECError(Exception):
    def __init__(self, status, text, code, **extra):
        super().__init__(text)
        self.status, self.body = status, dict({"text": text, "code": code}, **extra)


class Rule(stubkit.Rule):
    CALL_ACTIONS = ("call_status", "ack_lost", "delay_ms", "cut_after_bytes")
    TERMINAL = ("call_status",)
    APIS = ("event", "ack")
    EXTRA_FIELDS = {"call_status": ("text", "code")}

    def check(self):
        if self.action == "call_status" and not isinstance(self.spec["call_status"], int):
            raise ValueError("fault rule %d: call_status is an HTTP status" % self.index)
        if self.action == "ack_lost" and self.spec.get("api") == "ack":
            raise ValueError("fault rule %d: ack_lost acts on event calls" % self.index)


class Store(stubkit.Store):
    NAME = "hec-stub"
    RULE = Rule
    APIS = ("event", "ack")
    TARGETS = "channels"

    def __init__(self, args):
        self.token = read_secret(args.token_file, "token") if args.token_file else None
        self.ack, self.ack_after = args.ack, args.ack_after_polls
        super().__init__(args)
        if not self.ack and any(r.action == "ack_lost" for r in self.rules):
            raise ValueError("ack_lost rules need --ack")

    def reset_own(self):
        self.channels = {}  # channel -> {"next": id, "pending": {id: {"digests", "polls", "lost"}}}
        self.acks = {"issued": 0, "polled": 0, "true": 0, "lost": 0}

    def note_auth(self, headers, entry):
        super().note_auth(headers, entry)
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        if scheme == "Splunk":
            self.note_token(token.strip(), entry)

    def issue_ack(self, channel, digests, lost):
        with self.lock:
            state = self.channels.setdefault(channel, {"next": 0, "pending": {}})
            ack_id = state["next"]
            state["next"] += 1
            state["pending"][ack_id] = {"digests": digests, "polls": 0, "lost": lost}
            self.acks["issued"] += 1
            self.acks["lost"] += lost
            return ack_id

    def poll(self, channel, ids):
        answer = {}
        with self.lock:
            pending = self.channels.get(channel, {"pending": {}})["pending"]
            for ack_id in ids:
                self.acks["polled"] += 1
                state = pending.get(ack_id)
                done = False
                if state is not None:
                    state["polls"] += 1
                    done = not state["lost"] and state["polls"] >= self.ack_after
                if done:
                    del pending[ack_id]
                    self.acks["true"] += 1
                    self.take(state["digests"])
                answer[str(ack_id)] = done
        return answer

    def stats_own(self, out, brief):
        out["acks"] = dict(self.acks, pending=sum(len(c["pending"]) for c in self.channels.values()))


def parse_events(raw):
    """[(digest, natural_error, None)] of the events up to and including the first invalid one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not text.strip():
        raise HECError(400, "No data", 5)
    if text is None:
        return [(digest_of(raw), (6, "Invalid data format", 400))]
    decoder, pos, items = json.JSONDecoder(), 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return items
        try:
            event, pos_next = decoder.raw_decode(text, pos)
        except ValueError:
            return items + [(digest_of(text[pos:].encode("utf-8")), (6, "Invalid data format", 400))]
        pos = pos_next
        if not isinstance(event, dict):
            return items + [(digest_of(canonical(event)), (6, "Invalid data format", 400))]
        digest = digest_of(canonical(event))
        if "event" not in event:
            return items + [(digest, (12, "Event field is required", 400))]
        if event["event"] is None or (isinstance(event["event"], str) and not event["event"].strip()):
            return items + [(digest, (13, "Event field cannot be blank", 400))]
        items.append((digest, None))


def channel_of(headers, query, required):
    channel = headers.get("X-Splunk-Request-Channel") or urllib.parse.parse_qs(query).get("channel", [None])[0]
    if required:
        if not channel:
            raise HECError(400, "Data channel is missing", 10)
        try:
            uuid.UUID(channel)
        except ValueError:
            raise HECError(400, "Invalid data channel", 11)
    return channel


class Handler(FaultHandler):
    server_version = "hec-stub"

    def do_POST(self):
        raw = self.read_body()
        split = urllib.parse.urlsplit(self.path)
        api = "event" if split.path in EVENT_PATHS else "ack" if split.path == ACK_PATH else None
        entry = {"path": split.path, "api": api, "bytesIn": len(raw)}
        self.serve_call(entry, lambda: self.handle_call(self.server.store, api, split.query, raw, entry))

    def authenticate(self, store):
        if store.token is None:
            return
        auth = self.headers.get("Authorization")
        if not auth:
            raise HECError(401, "Token is required", 2)
        scheme, _, token = auth.partition(" ")
        if scheme != "Splunk":
            raise HECError(401, "Invalid authorization", 3)
        if token.strip() != store.token:
            raise HECError(403, "Invalid token", 4)

    def handle_call(self, store, api, query, raw, entry):
        delay, cut, cut_mode = store.delay, None, "close"
        try:
            if api is None:
                raise HECError(404, "The requested URL was not found on this server.", 404)
            try:
                self.authenticate(store)
            except HECError:
                store.refused()
                raise
            delay, cut, cut_mode, others = self.call_rules(api, entry)
            for rule in others:
                if rule.action == "call_status":
                    status = rule.spec["call_status"]
                    text, code = DEFAULTS.get(status, DEFAULTS[500])
                    raise HECError(status, rule.spec.get("text", text), rule.spec.get("code", code))
            lost = any(r.action == "ack_lost" for r in others)
            if api == "ack":
                answer = self.poll(store, query, raw, entry)
            else:
                answer = self.events(store, query, raw, entry, lost)
                if answer is None:
                    return
            status = 200
        except HECError as err:
            entry["code"] = err.body["code"]
            status, answer = err.status, err.body
        self.send_answer(entry, status, json.dumps(answer).encode(), delay, cut, cut_mode)

    def poll(self, store, query, raw, entry):
        if not store.ack:
            raise HECError(400, "ACK is disabled", 14)
        channel = entry["channel"] = channel_of(self.headers, query, True)
        try:
            ids = json.loads(raw)["acks"]
            if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
                raise ValueError
        except (ValueError, TypeError, KeyError):
            raise HECError(400, "Invalid data format", 6)
        return {"acks": store.poll(channel, ids)}

    def events(self, store, query, raw, entry, lost):
        channel = entry["channel"] = channel_of(self.headers, query, store.ack)
        parsed = parse_events(raw)
        entry["items"] = len(parsed)
        if self.process_delay_lost(entry):
            return None  # the client is gone: nothing taken, nothing answered
        invalid = parsed and parsed[-1][1] is not None
        defer = store.ack and not invalid
        items = [(digest, error, channel or "-") for digest, error in parsed]
        outcomes = store.process_items("event", entry["n"], items, defer=defer)
        entry["accepted"] = sum(1 for o in outcomes if o is None)
        if invalid:
            code, text, status = parsed[-1][1]
            raise HECError(status, text, code, **{"invalid-event-number": len(parsed) - 1})
        answer = {"text": "Success", "code": 0}
        if store.ack:
            answer["ackId"] = entry["ackId"] = store.issue_ack(channel, [d for d, _ in parsed], lost)
        return answer


def parse_args(argv):
    ap = common_args(__doc__.split("\n")[0], record_help="append the digest of every event indexed, one per line")
    ap.add_argument("--token-file", metavar="FILE", help="the HEC token requests must carry")
    ap.add_argument("--ack", action="store_true", help="indexer acknowledgement on (channels, ackIds, polls)")
    ap.add_argument("--ack-after-polls", type=int, default=1, metavar="N",
                    help="an ack turns true at the Nth poll that names it")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("hec-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
