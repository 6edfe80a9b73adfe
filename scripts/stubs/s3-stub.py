#!/usr/bin/env python3
"""A small S3 REST server for fault tests and the s3:// benchmark: serves one local directory as one bucket,
path-style, on 127.0.0.1 port 0 (printed as `PORT <n>`), until SIGTERM or SIGINT. Python standard library only.

    s3-stub.py --root DIR --bucket NAME [--marker KEY]... [--page-size N] [--region R] [--delay-ms N]
               [--faults FILE] [--replace-after KEY N [--replace-with FILE]] [--verbose]

Keys are the paths of the files under DIR relative to it, with `/` (hidden files included), plus one
zero-byte folder marker per --marker (a `/` is appended when missing). ETags are the quoted MD5 hex of the content.

Signatures are not checked: moto does that job where it matters. What a credentials test needs is recorded
instead: whether an Authorization header came, the region of its credential scope, and a SHA-256 prefix of
the x-amz-security-token (never the token itself).

--faults FILE is a JSON list of rules, tried in order on every request (the Rule class below says what a rule
matches and does). GET /__stats answers what was asked and served, as JSON; DELETE /__stats resets it.
"""

import argparse
import base64
import fnmatch
import gzip
import hashlib
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from stubkit import CREDENTIAL_KEY, StubHandler, load_rules, rule_action, run, token_hash

CHUNK = 64 * 1024
CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class S3Object:
    """One key. Content stays on disk unless it was replaced (then it is held in memory)."""

    def __init__(self, key, path=None, data=None, mtime=None):
        self.key, self.path, self.data = key, path, data
        if data is None:
            digest = hashlib.md5()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
            self.size = os.path.getsize(path)
            self.mtime = os.path.getmtime(path)
        else:
            digest = hashlib.md5(data)
            self.size = len(data)
            self.mtime = mtime if mtime is not None else time.time()
        self.etag = '"%s"' % digest.hexdigest()

    def read(self, start, end):
        """Yields the bytes [start, end) in chunks."""
        if self.data is not None:
            for i in range(start, end, CHUNK):
                yield self.data[i:min(i + CHUNK, end)]
            return
        with open(self.path, "rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    raise IOError("%s shrank while being served" % self.path)
                left -= len(chunk)
                yield chunk

    def content(self):
        return b"".join(self.read(0, self.size))


class Rule:
    """One fault rule of --faults.

    Which requests it matches (every field optional):
      "kind": "list" | "get" | "head"   (head = HEAD of the bucket or of an object)
      "method": "GET" | "HEAD"
      "key": glob on the object key (fnmatch; a rule with "key" never matches a list)
      "prefix": glob on a list request's prefix parameter (a rule with "prefix" never matches an object request)
      "after": N    let the first N matching requests through untouched
      "times": N    fire at most N times (absent: every time)
    What it does (exactly one):
      {"status": 503, "code": "SlowDown", "message": "..."}   an S3 XML error
      {"access_denied": true}                                 403 AccessDenied
      {"expired_token_after_requests": N}                     400 ExpiredToken for a request whose
          x-amz-security-token was first seen more than N requests (of any kind) earlier; no token, no fault
      {"redirect_region": "eu-west-1"}                        301 PermanentRedirect + x-amz-bucket-region, for
          signed requests whose credential scope names another region; unsigned requests are not redirected
      {"delay_first_byte_ms": N}                              wait before the status line (then go on)
      {"cut_after_bytes": N, "cut_mode": "close" | "reset"}   object GETs: headers with the full Content-Length,
          N body bytes, then close the socket (or reset it: RST, as a dropped connection looks)
    Error rules end the request; delay and cut rules combine with the rules after them.
    """

    ACTIONS = ("status", "access_denied", "expired_token_after_requests", "redirect_region",
               "delay_first_byte_ms", "cut_after_bytes")

    def __init__(self, index, spec):
        action = rule_action(index, spec, self.ACTIONS)
        known = set(self.ACTIONS) | {"kind", "method", "key", "prefix", "after", "times", "code", "message", "cut_mode"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError("fault rule %d has unknown fields %s" % (index, sorted(unknown)))
        if spec.get("kind") not in (None, "list", "get", "head"):
            raise ValueError("fault rule %d: kind must be list, get or head" % index)
        if spec.get("cut_mode", "close") not in ("close", "reset"):
            raise ValueError("fault rule %d: cut_mode must be close or reset" % index)
        self.index, self.spec, self.action = index, spec, action
        self.seen = 0  # matching requests, for "after"
        self.fired = 0

    def matches(self, req):
        s = self.spec
        if "kind" in s and s["kind"] != req.kind:
            return False
        if "method" in s and s["method"].upper() != req.method:
            return False
        if "key" in s and (req.key is None or not fnmatch.fnmatchcase(req.key, s["key"])):
            return False
        if "prefix" in s and (req.kind != "list" or not fnmatch.fnmatchcase(req.prefix or "", s["prefix"])):
            return False
        return True

    def exhausted(self):
        return "times" in self.spec and self.fired >= self.spec["times"]


class Request:
    """What a rule looks at."""

    def __init__(self, number, method, kind, key, prefix, token, region):
        self.number, self.method, self.kind, self.key, self.prefix = number, method, kind, key, prefix
        self.token, self.region = token, region


class Store:
    """The bucket, the fault rules and the statistics, behind one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.bucket, self.region = args.bucket, args.region
        self.page_size, self.delay = args.page_size, args.delay_ms / 1000.0
        self.verbose = args.verbose
        self.objects = {}
        root = os.path.abspath(args.root)
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            for name in filenames:
                path = os.path.join(dirpath, name)
                key = os.path.relpath(path, root).replace(os.sep, "/")
                self.objects[key] = S3Object(key, path=path)
        for marker in args.marker:
            key = marker if marker.endswith("/") else marker + "/"
            self.objects[key] = S3Object(key, data=b"")
        self.rules = [Rule(i, s) for i, s in enumerate(load_rules(args.faults))]
        self.replace = None
        if args.replace_after:
            key, after = args.replace_after
            if key not in self.objects:
                raise ValueError("--replace-after: no key %r in the bucket" % key)
            self.replace = (key, int(after), args.replace_with)
        self._sorted = None
        self.reset()

    def reset(self):
        with self.lock:
            self._reset()

    def _reset(self):
        self.counter = 0
        self.token_first_seen = {}  # token hash -> request number
        self.stats_kinds = {"list": 0, "get": 0, "head": 0, "other": 0}
        self.bytes_served = {}
        self.gets = {}
        self.list_calls = []
        self.auth_with = self.auth_without = 0
        self.token_hashes = []
        self.regions = {}
        self.key_ids = {}
        self.replaced = {}
        self.log = []
        for rule in self.rules:
            rule.seen = rule.fired = 0
        self._served_for_replace = 0

    def sorted_keys(self):
        with self.lock:
            if self._sorted is None:
                self._sorted = sorted(self.objects, key=lambda k: k.encode("utf-8", "surrogateescape"))
            return self._sorted

    def begin(self, method, kind, key, prefix, headers):
        """Counts the request and records its credentials; returns the Request rules look at."""
        auth = headers.get("Authorization")
        token = headers.get("x-amz-security-token")
        match = CREDENTIAL_REGION.search(auth) if auth else None
        region = match.group(1) if match else None
        with self.lock:
            self.counter += 1
            self.stats_kinds[kind if kind in self.stats_kinds else "other"] += 1
            if auth:
                self.auth_with += 1
            else:
                self.auth_without += 1
            hashed = None
            if token is not None:
                hashed = token_hash(token)
                if hashed not in self.token_first_seen:
                    self.token_first_seen[hashed] = self.counter
                    self.token_hashes.append(hashed)
            if region:
                self.regions[region] = self.regions.get(region, 0) + 1
            key_id = CREDENTIAL_KEY.search(auth) if auth else None
            if key_id:
                self.key_ids[key_id.group(1)] = self.key_ids.get(key_id.group(1), 0) + 1
            return Request(self.counter, method, kind, key, prefix, hashed, region)

    def faults_for(self, req):
        """The rules that fire for this request, in order, up to and including the first error rule."""
        fired = []
        with self.lock:
            for rule in self.rules:
                if rule.exhausted() or not rule.matches(req):
                    continue
                if not self._applies(rule, req):
                    continue
                rule.seen += 1
                if rule.seen <= rule.spec.get("after", 0):
                    continue
                rule.fired += 1
                fired.append(rule)
                if rule.action not in ("delay_first_byte_ms", "cut_after_bytes"):
                    break
        return fired

    def _applies(self, rule, req):
        s = rule.spec
        if rule.action == "expired_token_after_requests":
            return req.token is not None and req.number - self.token_first_seen[req.token] > s[rule.action]
        if rule.action == "redirect_region":
            return req.region is not None and req.region != s[rule.action]
        if rule.action == "cut_after_bytes":
            return req.kind == "get" and req.key is not None
        return True

    def served(self, key, n):
        """Counts body bytes of a key and replaces the key's content once --replace-after's count is reached."""
        with self.lock:
            self.bytes_served[key] = self.bytes_served.get(key, 0) + n
            if self.replace and self.replace[0] == key and key not in self.replaced:
                self._served_for_replace += n
                if self._served_for_replace >= self.replace[1]:
                    old = self.objects[key]
                    if self.replace[2]:
                        with open(self.replace[2], "rb") as f:
                            data = f.read()
                    elif old.content()[:2] == b"\x1f\x8b":
                        # An empty gzip member appended: new bytes and ETag, the same records.
                        data = old.content() + gzip.compress(b"", mtime=0)
                    else:
                        data = old.content() + b"\n"
                    new = S3Object(key, data=data)
                    self.objects[key] = new
                    self.replaced[key] = {"oldETag": old.etag, "newETag": new.etag, "afterBytes": self.bytes_served[key]}

    def record(self, entry):
        """Logs a request when it starts; the handler fills the entry in before each byte it sends, so a client
        that has its answer and asks /__stats at once finds it complete."""
        with self.lock:
            self.log.append(entry)

    def trace(self, entry):
        if self.verbose:
            print("s3-stub: " + json.dumps(entry, sort_keys=True), file=sys.stderr, flush=True)

    def stats(self):
        with self.lock:
            return {
                "requests": dict(self.stats_kinds, total=self.counter),
                "bytesServed": dict(sorted(self.bytes_served.items())),
                "getsPerKey": dict(sorted(self.gets.items())),
                "listCalls": list(self.list_calls),
                "faultsFired": [{"index": r.index, "rule": r.spec, "fired": r.fired} for r in self.rules],
                "auth": {"withAuthorization": self.auth_with, "withoutAuthorization": self.auth_without,
                         "tokenHashes": list(self.token_hashes), "signingRegions": dict(self.regions),
                         "accessKeyIds": dict(self.key_ids)},
                "replaced": dict(self.replaced),
                "log": [dict(e) for e in self.log],
            }


def list_objects_v2(store, query):
    """ListBucketResult for ListObjectsV2, and a summary for the stats."""
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    start_after = query.get("start-after", "")
    token = query.get("continuation-token")
    url_encode = query.get("encoding-type") == "url"
    try:
        max_keys = int(query.get("max-keys", "1000"))
    except ValueError:
        raise S3Error(400, "InvalidArgument", "max-keys must be an integer")
    max_keys = max(0, min(max_keys, store.page_size))
    last, last_is_prefix = None, False
    if token is not None:
        try:
            state = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
            last, last_is_prefix = state["k"], state["p"]
        except Exception:
            raise S3Error(400, "InvalidArgument", "The continuation token provided is incorrect")
    b = lambda s: s.encode("utf-8", "surrogateescape")
    floor = max(b(start_after), b(last)) if last is not None else b(start_after)
    contents, prefixes = [], []
    last_entry = None  # (key or common prefix, is a common prefix): where the next page starts
    truncated = False
    entries = 0
    for key in store.sorted_keys():
        if not key.startswith(prefix) or b(key) <= floor:
            continue
        if last_is_prefix and key.startswith(last):
            continue
        rest = key[len(prefix):]
        if delimiter and delimiter in rest:
            common = prefix + rest[:rest.index(delimiter) + len(delimiter)]
            if prefixes and prefixes[-1] == common:
                continue
            if entries == max_keys:
                truncated = True
                break
            prefixes.append(common)
            last_entry = (common, True)
        else:
            if entries == max_keys:
                truncated = True
                break
            contents.append(store.objects[key])
            last_entry = (key, False)
        entries += 1
    enc = (lambda s: urllib.parse.quote_plus(s, safe="/")) if url_encode else (lambda s: s)
    x = ['<?xml version="1.0" encoding="UTF-8"?>',
         '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
         "<Name>%s</Name>" % escape(store.bucket), "<Prefix>%s</Prefix>" % escape(enc(prefix))]
    if delimiter:
        x.append("<Delimiter>%s</Delimiter>" % escape(enc(delimiter)))
    if start_after:
        x.append("<StartAfter>%s</StartAfter>" % escape(enc(start_after)))
    if token is not None:
        x.append("<ContinuationToken>%s</ContinuationToken>" % escape(token))
    if url_encode:
        x.append("<EncodingType>url</EncodingType>")
    x.append("<MaxKeys>%d</MaxKeys><KeyCount>%d</KeyCount>" % (max_keys, entries))
    x.append("<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false"))
    if truncated:
        next_token = base64.urlsafe_b64encode(json.dumps({"k": last_entry[0], "p": last_entry[1]}).encode()).decode("ascii")
        x.append("<NextContinuationToken>%s</NextContinuationToken>" % next_token)
    for o in contents:
        x.append("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>%s</ETag><Size>%d</Size>"
                 "<StorageClass>STANDARD</StorageClass></Contents>"
                 % (escape(enc(o.key)), iso(o.mtime), escape(o.etag), o.size))
    for p in prefixes:
        x.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(enc(p)))
    x.append("</ListBucketResult>")
    summary = {"prefix": prefix, "delimiter": delimiter, "startAfter": start_after,
               "continuation": token is not None, "maxKeys": max_keys, "keyCount": entries, "isTruncated": truncated}
    return "".join(x).encode("utf-8"), summary


class S3Error(Exception):
    def __init__(self, status, code, message, headers=None, extra=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.extra = headers or {}, extra or {}


def fault_error(rule, store):
    s = rule.spec
    if rule.action == "status":
        return S3Error(s["status"], s.get("code", "InternalError"), s.get("message", "Injected fault (rule %d)" % rule.index))
    if rule.action == "access_denied":
        return S3Error(403, "AccessDenied", s.get("message", "Access Denied"))
    if rule.action == "expired_token_after_requests":
        return S3Error(400, "ExpiredToken", s.get("message", "The provided token has expired."))
    region = s["redirect_region"]
    return S3Error(301, "PermanentRedirect",
                   "The bucket you are attempting to access must be addressed using the specified endpoint. "
                   "Please send all future requests to this endpoint.",
                   headers={"x-amz-bucket-region": region},
                   extra={"Bucket": store.bucket, "Endpoint": "s3.%s.amazonaws.com" % region})


class Handler(StubHandler):
    server_version = "s3-stub"

    def do_GET(self):
        self.handle_s3("GET")

    def do_HEAD(self):
        self.handle_s3("HEAD")

    def do_DELETE(self):
        if urllib.parse.urlsplit(self.path).path == "/__stats":
            self.discard_body()
            self.server.store.reset()
            self.send_bytes(204, b"", {})
            return
        self.handle_s3("DELETE")

    def do_PUT(self):
        self.handle_s3("PUT")

    def do_POST(self):
        self.handle_s3("POST")

    def discard_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(length, CHUNK))
            if not got:
                break
            length -= len(got)

    def send_bytes(self, status, body, headers, head=False):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        self.send_header("Content-Length", "0" if head else str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def send_error_xml(self, err, head=False, resource=None):
        extra = "".join("<%s>%s</%s>" % (k, escape(v), k) for k, v in err.extra.items())
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
                '<Resource>%s</Resource><RequestId>%s</RequestId></Error>'
                % (escape(err.code), escape(err.message), extra, escape(resource or ""), uuid.uuid4().hex[:16].upper())).encode()
        headers = {"Content-Type": "application/xml"}
        headers.update(err.headers)
        self.send_bytes(err.status, body, headers, head=head)

    def handle_s3(self, method):
        store = self.server.store
        self.discard_body()
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        path = urllib.parse.unquote(split.path, errors="surrogateescape")
        if path == "/__stats" and method == "GET":
            body = json.dumps(store.stats(), indent=1, sort_keys=True).encode()
            self.send_bytes(200, body, {"Content-Type": "application/json"})
            return
        bucket, _, key = path.lstrip("/").partition("/")
        head = method == "HEAD"
        if method in ("GET", "HEAD") and bucket and not key:
            kind = "list" if method == "GET" else "head"
            key = None
        elif method in ("GET", "HEAD") and key:
            kind = "get" if method == "GET" else "head"
        else:
            kind = "other"
            key = key or None
        req = store.begin(method, kind, key, query.get("prefix", "") if kind == "list" else None, self.headers)
        entry = {"n": req.number, "method": method, "kind": kind, "key": key, "auth": "Authorization" in self.headers,
                 "token": req.token, "region": req.region}
        if kind == "get":
            entry["range"] = self.headers.get("Range")
            entry["ifMatch"] = self.headers.get("If-Match")
        store.record(entry)
        try:
            faults = store.faults_for(req)
            if faults:
                entry["faults"] = [r.index for r in faults]
            cut, cut_mode = None, "close"
            for rule in faults:
                if rule.action == "delay_first_byte_ms":
                    time.sleep(rule.spec["delay_first_byte_ms"] / 1000.0)
                elif rule.action == "cut_after_bytes":
                    cut, cut_mode = rule.spec["cut_after_bytes"], rule.spec.get("cut_mode", "close")
                else:
                    raise fault_error(rule, store)
            if bucket != store.bucket:
                raise S3Error(404, "NoSuchBucket", "The specified bucket does not exist", extra={"BucketName": bucket})
            if kind == "list":
                if query.get("list-type") != "2":
                    raise S3Error(400, "InvalidRequest", "This stub answers ListObjectsV2 only (list-type=2)")
                body, summary = list_objects_v2(store, query)
                with store.lock:
                    store.list_calls.append(summary)
                entry["status"] = 200
                self.send_bytes(200, body, {"Content-Type": "application/xml"})
            elif kind == "head" and key is None:
                entry["status"] = 200
                self.send_bytes(200, b"", {"x-amz-bucket-region": store.region}, head=True)
            elif kind in ("get", "head"):
                self.serve_object(store, key, head, cut, cut_mode, entry)
            else:
                raise S3Error(405, "MethodNotAllowed", "This stub is read-only")
        except S3Error as err:
            entry["status"], entry["code"] = err.status, err.code
            self.send_error_xml(err, head=head, resource=path)
        except (BrokenPipeError, ConnectionResetError):
            entry["status"] = "client-closed"
            self.close_connection = True
        finally:
            store.trace(entry)

    def serve_object(self, store, key, head, cut, cut_mode, entry):
        with store.lock:
            obj = store.objects.get(key)
        if obj is None:
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.", extra={"Key": key})
        if_match = self.headers.get("If-Match")
        if if_match is not None and if_match.strip() != "*" and if_match.strip().strip('"') != obj.etag.strip('"'):
            raise S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold",
                          extra={"Condition": "If-Match"})
        start, end, status = 0, obj.size, 200
        rng = self.headers.get("Range")
        if rng is not None:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = min(obj.size, int(m.group(2)) + 1) if m.group(2) else obj.size
                else:  # bytes=-N: the last N bytes
                    start = max(0, obj.size - int(m.group(2)))
                if start >= obj.size or end <= start:
                    raise S3Error(416, "InvalidRange", "The requested range is not satisfiable",
                                  headers={"Content-Range": "bytes */%d" % obj.size})
                status = 206
        headers = {"ETag": obj.etag, "Last-Modified": datetime.fromtimestamp(obj.mtime, timezone.utc)
                   .strftime("%a, %d %b %Y %H:%M:%S GMT"), "Accept-Ranges": "bytes",
                   "Content-Type": "application/octet-stream"}
        if status == 206:
            headers["Content-Range"] = "bytes %d-%d/%d" % (start, end - 1, obj.size)
        if not head:
            if store.delay:
                time.sleep(store.delay)
            with store.lock:
                store.gets[key] = store.gets.get(key, 0) + 1
        entry["status"] = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if head:
            return
        sent = 0
        limit = end - start if cut is None else min(cut, end - start)
        entry["bytes"] = 0
        if limit < end - start:
            entry["cut"] = limit
        for chunk in obj.read(start, start + limit):
            # Counted before it is sent (see Store.record).
            store.served(key, len(chunk))
            sent += len(chunk)
            entry["bytes"] = sent
            self.wfile.write(chunk)
        if limit < end - start:
            self.server.cut(self, cut_mode)


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True, help="directory served as the bucket")
    ap.add_argument("--bucket", required=True)
    ap.add_argument("--marker", action="append", default=[], help="add a zero-byte folder marker key (repeatable)")
    ap.add_argument("--page-size", type=int, default=1000, help="most keys a list answer holds (caps max-keys)")
    ap.add_argument("--region", default="us-east-1", help="the bucket's region (HEAD bucket's x-amz-bucket-region)")
    ap.add_argument("--delay-ms", type=int, default=0, help="wait before the first byte of every object GET")
    ap.add_argument("--faults", help="JSON file: a list of fault rules")
    ap.add_argument("--replace-after", nargs=2, metavar=("KEY", "N"),
                    help="replace KEY's content (new ETag) once N of its bytes were served")
    ap.add_argument("--replace-with", metavar="FILE",
                    help="the replacement content (default: the same records with new bytes: an empty gzip member "
                         "appended to gzip content, a newline to other content)")
    ap.add_argument("--verbose", action="store_true", help="one JSON line per request on stderr")
    return ap.parse_args(argv)


if __name__ == "__main__":
    sys.exit(run("s3-stub", lambda: Store(parse_args(sys.argv[1:])), Handler))
