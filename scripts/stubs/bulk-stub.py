#!/usr/bin/env python3
"""An OpenSearch `_bulk` server for `send`'s opensearch fault tests, on 127.0.0.1 port 0 (printed as `PORT <n>`),
until SIGTERM or SIGINT. Standard library only.

    bulk-stub.py [--basic-auth-file FILE | --sigv4 es|aoss] [--max-body-bytes N] [--faults FILE] [--seed N]
                 [--delay-ms N] [--process-delay-ms N] [--record FILE] [--verbose]

Serves `POST /_bulk` and `POST /{index}/_bulk` (query strings ignored); any other path answers 404 with an empty
body. Checks, in order:
  1. Authentication. --basic-auth-file FILE (content `user:password`, one line): a request without
     `Authorization: Basic base64(user:password)` matching it answers 401
     `{"error":{"type":"security_exception","reason":"missing authentication credentials for REST request [PATH]"},"status":401}`
     (reason "unable to authenticate user for REST request [PATH]" for wrong ones) with
     `WWW-Authenticate: Basic realm="security" charset="UTF-8"`.
     --sigv4 es|aoss: Authorization must be `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, ...`
     with SERVICE the one given, else 403 `{"message":"..."}`; for aoss also `x-amz-content-sha256` must equal the
     SHA-256 hex of the body, else 403. Signatures are not verified. Neither option: no check.
     Refused requests count in auth.refused and are not seen by the fault rules.
  2. Call rules of --faults (below): a call_status refuses the whole request.
  3. Content-Type must be application/x-ndjson or application/json (parameters allowed), else 406
     `{"error":"Content-Type header [X] is not supported","status":406}`.
  4. Body size: more than --max-body-bytes (default 10 MiB, as an AWS domain) answers 413
     `{"Message":"Request size exceeded N bytes"}`.
  5. The body: empty -> 400 action_request_validation_exception "Validation Failed: 1: no requests added;"; not
     ending with "\n" -> 400
     `{"error":{"type":"illegal_argument_exception","reason":"The bulk request must be terminated by a newline [\\n]"},"status":400}`;
     an action line that is not a JSON object with exactly one of index/create/delete/update, an update, an
     index/create without its document line, or no index (neither `_index` nor the path's) -> 400
     illegal_argument_exception naming the line. Blank lines are skipped. Nothing of a request refused here is
     taken.
Errors are `{"error":{"type","reason"},"status":S}` (root_cause left out).

Items: each index/create (action line + document line) and each delete (action line only), positions counted
from 0 in the request. Digest of an index/create item: SHA-256 hex of its document re-serialized canonically
(json.dumps with sort_keys=True, separators=(",", ":"), ensure_ascii=False, in UTF-8); a document line that is not
a JSON object gets the digest of its raw bytes and a 400 mapper_parsing_exception item. A delete's digest is that
of its canonical action line. Answer 200 `{"took": n, "errors": bool, "items": [{ACTION: {"_index", "_id",
"_version", "result", "status", "_shards", "_seq_no", "_primary_term"}} ...]}` in request order, or for a failed
item `{ACTION: {"_index", "_id", "status", "error": {"type", "reason"}}}`; "errors" is true when any item failed.
  create, id not stored in that index  -> 201 created         index, id not stored -> 201 created
  create, id stored                    -> 409 version_conflict_engine_exception "[ID]: version conflict,
                                          document already exists (current version [V])"
  index, id stored                     -> 200 updated (_version + 1)
  delete, id stored                    -> 200 deleted          delete, id not stored -> 404 not_found (not an error)
  no _id                               -> a generated 20-character id (index/create)
A delete is an item like the others (fault rules apply; when it succeeds it is accepted and recorded). The ids
stored per index are the stub's "cluster": DELETE /__stats does not forget them (as it keeps the --record file).
An item's attempt number is how many times its digest has reached per-item processing.

Accepted items (201, 200, delete 404) are counted per digest and appended (one hex digest per line, written
before the answer is sent) to --record FILE, which outlives a client killed with -9. Items are processed before
the answer is delayed or cut. A 409 is not accepted (the document stored is the earlier one).

--faults FILE is a JSON list of rules. Selectors and call counting are stubkit.Rule's (item: digest, index,
index_mod, attempts, fraction, times; call: calls, first, every, after, times):
  {"item_status": S, "type": T, "reason": R, selectors...}   fail chosen items with status S; type defaults to
      es_rejected_execution_exception for 429, mapper_parsing_exception for 400, unavailable_shards_exception for
      503, version_conflict_engine_exception for 409, else injected_exception; reason has a default
  {"call_status": S, "type": T, "reason": R}   the whole request answers S with {"error":{"type","reason"},"status":S}
      (type defaults: 429 es_rejected_execution_exception, 401/403 security_exception, 413 content_too_long_exception,
      5xx internal_server_error, else illegal_argument_exception); 413 answers {"Message": R} as AWS does
  {"delay_ms": N}, {"cut_after_bytes": N, "cut_mode": "close"|"reset"}   stubkit.Rule's
GET /__stats answers (`?brief=1` leaves out "accepted" and "log"); DELETE /__stats resets it:
    {"requests", "calls": {"bulk"}, "statuses": {"200": n, ...}, "acceptedItems", "acceptedDistinct",
     "duplicates" (acceptances beyond the first), "accepted": {digest: count}, "rejectedItems",
     "rejected": [{"digest", "code" (error type), "status", "attempt", "api", "index", "request"}], "conflicts" (409s),
     "itemStatuses": {"201": n, ...}, "results": {"created"|"updated"|"deleted"|"not_found": n},
     "faultsFired": [{"index", "rule", "fired"}], "maxInFlight", "indices": {index: items received},
     "auth": {"withAuthorization", "withoutAuthorization", "schemes": {"Basic"|"AWS4-HMAC-SHA256": n},
              "accessKeyIds": {id: n}, "services": {"es"|"aoss": n}, "tokenHashes": [12-hex of x-amz-security-token],
              "refused": n},
     "log": [{"n", "path", "status", "items", "accepted", "failed", "faults", "cut", "auth", "accessKeyId", ...}]}
No password, secret key or session token appears in stats, log, stderr or the record file.
"""

import base64
import hashlib
import json
import sys
import time
import urllib.parse
import uuid

import stubkit
from stubkit import FaultHandler, canonical, common_args, digest_of, read_secret, run

ACTIONS = ("index", "create", "delete")
ITEM_TYPES = {429: "es_rejected_execution_exception", 400: "mapper_parsing_exception",
              503: "unavailable_shards_exception", 409: "version_conflict_engine_exception"}
CALL_TYPES = {429: "es_rejected_execution_exception", 401: "security_exception", 403: "security_exception",
              413: "content_too_long_exception"}
REASONS = {"es_rejected_execution_exception": "rejected execution of coordinating operation [injected]",
           "mapper_parsing_exception": "failed to parse",
           "unavailable_shards_exception": "primary shard is not active",
           "security_exception": "injected authentication failure",
           "internal_server_error": "injected internal error"}


class BulkError(Exception):
    def __init__(self, status, body):
        super().__init__(status)
        self.status, self.body = status, body


def error_body(status, kind, reason):
    return {"error": {"type": kind, "reason": reason}, "status": status}


class Rule(stubkit.Rule):
    ITEM_ACTIONS = ("item_status",)
    CALL_ACTIONS = ("call_status", "delay_ms", "cut_after_bytes")
    TERMINAL = ("call_status",)
    EXTRA_FIELDS = {"item_status": ("type", "reason"), "call_status": ("type", "reason")}

    def check(self):
        status = self.spec.get(self.action)
        if self.action in self.TERMINAL + self.ITEM_ACTIONS and not (isinstance(status, int) and 100 <= status < 600):
            raise ValueError("fault rule %d: %s is an HTTP status" % (self.index, self.action))


class Store(stubkit.Store):
    NAME = "bulk-stub"
    RULE = Rule
    APIS = ("bulk",)
    TARGETS = "indices"

    def __init__(self, args):
        self.basic = None
        if args.basic_auth_file:
            self.basic = read_secret(args.basic_auth_file, "basic auth")
            if ":" not in self.basic:
                raise ValueError("%s: the basic auth file holds user:password" % args.basic_auth_file)
        self.sigv4, self.max_body = args.sigv4, args.max_body_bytes
        self.documents = {}  # index -> {id: version}; kept across DELETE /__stats
        super().__init__(args)

    def reset_own(self):
        self.conflicts = 0
        self.item_statuses, self.results = {}, {}

    def item_check(self, api, position, item):
        # item: (digest, natural, index, action, id)
        return item[1] or (self.conflict(item) if item[3] == "create" else None)

    def conflict(self, item):
        version = self.documents.get(item[2], {}).get(item[4])
        if version is None:
            return None
        self.conflicts += 1
        return ("version_conflict_engine_exception", "[%s]: version conflict, document already exists (current "
                                                     "version [%d])" % (item[4], version), 409)

    def item_error(self, rule, item):
        status = rule.spec["item_status"]
        kind = rule.spec.get("type", ITEM_TYPES.get(status, "injected_exception"))
        return kind, rule.spec.get("reason", REASONS.get(kind, "injected failure (rule %d)" % rule.index)), status

    def item_taken(self, api, position, item):
        """Stores the document's id; item[5] (a dict) receives the item's answer."""
        _, _, index, action, doc_id, answer = item
        stored = self.documents.setdefault(index, {})
        version = stored.get(doc_id)
        if action == "delete":
            if version is None:
                answer.update(result="not_found", status=404, _version=1)
            else:
                del stored[doc_id]
                answer.update(result="deleted", status=200, _version=version + 1)
        else:
            stored[doc_id] = (version or 0) + 1
            answer.update(result="updated" if version else "created", status=200 if version else 201,
                          _version=stored[doc_id])

    def outcome(self, status, result=None):
        with self.lock:
            self.count(self.item_statuses, str(status))
            if result:
                self.count(self.results, result)

    def stats_own(self, out, brief):
        out["conflicts"] = self.conflicts
        out["itemStatuses"] = dict(self.item_statuses)
        out["results"] = dict(self.results)


def parse_bulk(raw, path_index):
    """[(digest, natural_error, index, action, id, answer)] of a _bulk body, or BulkError for the whole call."""
    if not raw.strip():
        raise BulkError(400, error_body(400, "action_request_validation_exception",
                                        "Validation Failed: 1: no requests added;"))
    if not raw.endswith(b"\n"):
        raise BulkError(400, error_body(400, "illegal_argument_exception",
                                        "The bulk request must be terminated by a newline [\\n]"))
    lines = raw.split(b"\n")[:-1]
    items, n = [], 0

    def refuse(reason):
        raise BulkError(400, error_body(400, "illegal_argument_exception", reason))

    while n < len(lines):
        line, n = lines[n], n + 1
        if not line.strip():
            continue
        try:
            action = json.loads(line)
        except ValueError:
            refuse("Malformed action/metadata line [%d], expected a JSON object" % n)
        if not isinstance(action, dict) or len(action) != 1:
            refuse("Malformed action/metadata line [%d], expected a simple value for field [_index]" % n)
        (name, meta), = action.items()
        if name not in ACTIONS or not isinstance(meta, dict):
            refuse("Malformed action/metadata line [%d], expected one of [create, delete, index] but found [%s]"
                   % (n, name))
        index = meta.get("_index") or path_index
        if not index:
            refuse("Validation Failed: 1: index is missing for the action on line [%d];" % n)
        doc_id = meta.get("_id")
        doc_id = str(doc_id) if doc_id is not None else None
        natural = None
        if name == "delete":
            if doc_id is None:
                refuse("Validation Failed: 1: id is missing for the delete on line [%d];" % n)
            digest = digest_of(canonical(action))
        else:
            if n >= len(lines) or not lines[n].strip():
                refuse("The %s action on line [%d] has no document line" % (name, n))
            source, n = lines[n], n + 1
            try:
                document = json.loads(source)
            except ValueError:
                document = None
            if isinstance(document, dict):
                digest = digest_of(canonical(document))
            else:
                digest = digest_of(source)
                natural = ("mapper_parsing_exception", "failed to parse: the document is not a JSON object", 400)
            if doc_id is None:
                doc_id = uuid.uuid4().hex[:20]
        items.append((digest, natural, index, name, doc_id, {}))
    if not items:
        raise BulkError(400, error_body(400, "action_request_validation_exception",
                                        "Validation Failed: 1: no requests added;"))
    return items


class Handler(FaultHandler):
    server_version = "bulk-stub"

    def do_POST(self):
        raw = self.read_body()
        entry = {"path": urllib.parse.urlsplit(self.path).path, "bytesIn": len(raw)}
        self.serve_call(entry, lambda: self.handle_call(self.server.store, raw, entry))

    def authenticate(self, store, raw, path):
        auth = self.headers.get("Authorization") or ""
        if store.basic is not None:
            expected = "Basic " + base64.b64encode(store.basic.encode()).decode()
            if auth != expected:
                reason = ("unable to authenticate user for REST request [%s]" if auth else
                          "missing authentication credentials for REST request [%s]") % path
                raise BulkError(401, error_body(401, "security_exception", reason))
        if store.sigv4:
            scope = stubkit.CREDENTIAL_SCOPE.search(auth)
            if not auth.startswith("AWS4-HMAC-SHA256 ") or not scope:
                raise BulkError(403, {"message": "Authorization header requires 'Credential' parameter. "
                                                 "Authorization=%s" % auth.split(None, 1)[0] if auth else
                                      "Missing Authentication Token"})
            if scope.group(2) != store.sigv4:
                raise BulkError(403, {"message": "Credential should be scoped to correct service: '%s'." % store.sigv4})
            if store.sigv4 == "aoss" and self.headers.get("x-amz-content-sha256") != hashlib.sha256(raw).hexdigest():
                raise BulkError(403, {"message": "The request signature we calculated does not match the signature "
                                                 "you provided (x-amz-content-sha256 is not the body's SHA-256)"})

    def handle_call(self, store, raw, entry):
        delay, cut, cut_mode = store.delay, None, "close"
        headers = ()
        parts = entry["path"].strip("/").split("/")
        try:
            if parts[-1:] != ["_bulk"] or len(parts) > 2:
                self.send_answer(entry, 404, b"", content_type="text/plain")
                return
            try:
                self.authenticate(store, raw, entry["path"])
            except BulkError as err:
                store.refused()
                if err.status == 401:
                    headers = ('WWW-Authenticate: Basic realm="security" charset="UTF-8"',)
                raise
            delay, cut, cut_mode, refusals = self.call_rules("bulk", entry)
            for rule in refusals:
                status = rule.spec["call_status"]
                kind = rule.spec.get("type", CALL_TYPES.get(status, "internal_server_error" if status >= 500 else
                                                            "illegal_argument_exception"))
                reason = rule.spec.get("reason", REASONS.get(kind, "injected (rule %d)" % rule.index))
                raise BulkError(status, {"Message": reason} if status == 413 else error_body(status, kind, reason))
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if content_type not in ("application/x-ndjson", "application/json"):
                raise BulkError(406, {"error": "Content-Type header [%s] is not supported"
                                               % self.headers.get("Content-Type", ""), "status": 406})
            if len(raw) > store.max_body:
                raise BulkError(413, {"Message": "Request size exceeded %d bytes" % store.max_body})
            items = parse_bulk(raw, parts[0] if len(parts) == 2 else None)
            entry["items"] = len(items)
            if self.process_delay_lost(entry):
                return
            started = time.monotonic()
            outcomes = store.process_items("bulk", entry["n"], items)
            answers = []
            for item, error in zip(items, outcomes):
                head = {"_index": item[2], "_id": item[4]}
                if error is None:
                    head.update(item[5], _shards={"total": 2, "successful": 1, "failed": 0}, _seq_no=0,
                                _primary_term=1)
                    store.outcome(head["status"], head["result"])
                else:
                    head.update(status=error[2], error={"type": error[0], "reason": error[1]})
                    store.outcome(error[2])
                answers.append({item[3]: head})
            failed = sum(1 for o in outcomes if o is not None)
            entry["accepted"], entry["failed"] = len(items) - failed, failed
            answer = {"took": int((time.monotonic() - started) * 1000), "errors": failed > 0, "items": answers}
            status, payload = 200, answer
        except BulkError as err:
            status, payload = err.status, err.body
        self.send_answer(entry, status, json.dumps(payload).encode(), delay, cut, cut_mode, headers=headers)


def parse_args(argv):
    ap = common_args(__doc__.split("\n")[0])
    auth = ap.add_mutually_exclusive_group()
    auth.add_argument("--basic-auth-file", metavar="FILE", help="user:password that requests must carry")
    auth.add_argument("--sigv4", choices=("es", "aoss"), help="require SigV4 headers scoped to this service")
    ap.add_argument("--max-body-bytes", type=int, default=10 * 1024 * 1024, help="larger bodies answer 413")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("bulk-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
