"""What the fault stubs share: serving on 127.0.0.1 port 0 until SIGTERM/SIGINT, cutting an answer short, hashing
tokens for the stats, the fault rules' vocabulary (Rule), the store of what was received (Store: counts, the
--record file, /__stats), the handler's answers (FaultHandler), and (for their self-tests) running a stub as a
child process.

The stubs run as scripts, so Python puts this directory first on sys.path and `import stubkit` finds this file.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The access key id is an identifier, not a secret: credential tests check which key signed.
CREDENTIAL_KEY = re.compile(r"Credential=([^/,\s]+)/")
# Credential=KEY/DATE/REGION/SERVICE/aws4_request: the SigV4 scope's region and service name.
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/[^/,\s]+/([^/,\s]+)/([^/,\s]+)/aws4_request")


def token_hash(token):
    # 12 hex digits tell tokens apart in a test without putting anything usable in a log.
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def load_rules(path):
    """The JSON list of fault rules in the --faults file (none without one)."""
    if not path:
        return []
    with open(path, encoding="utf-8") as f:
        specs = json.load(f)
    if not isinstance(specs, list):
        raise ValueError("%s: the fault file holds a JSON list of rules" % path)
    return specs


def rule_action(index, spec, actions):
    """The one action a fault rule names, out of `actions`."""
    if not isinstance(spec, dict):
        raise ValueError("fault rule %d is not an object" % index)
    named = [a for a in actions if a in spec]
    if len(named) != 1:
        raise ValueError("fault rule %d needs exactly one of %s, has %s" % (index, ", ".join(actions), named))
    return named[0]


def canonical(value):
    """The canonical JSON of a value, in UTF-8: json.dumps with sort_keys=True, separators=(",", ":"),
    ensure_ascii=False. Digests of JSON items are SHA-256 hex of this."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(data):
    return hashlib.sha256(data).hexdigest()


def chance(seed, rule_index, digest, attempt):
    """A number in [0, 1) fixed by the seed, the rule, the item and its attempt: the same items fail whatever
    the order in which concurrent requests arrive."""
    h = hashlib.sha256(("%s:%d:%s:%d" % (seed, rule_index, digest, attempt)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def receive_message_dumps(path):
    """The messages of a file holding one or more `aws sqs receive-message` dumps (printed one after the other, as
    a loop of receive-message writes them), the first of each MessageId, in order."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    decoder, position, out, seen = json.JSONDecoder(), 0, [], set()
    while text[position:].strip():
        position += len(text[position:]) - len(text[position:].lstrip())
        dump, position = decoder.raw_decode(text, position)
        for m in dump.get("Messages") or []:
            if m["MessageId"] not in seen:
                seen.add(m["MessageId"])
                out.append(m)
    return out


def millis():
    return int(time.time() * 1000)


class Rule:
    """One fault rule of --faults; a stub's subclass names its actions and their extra fields.

    Item rules (an action of ITEM_ACTIONS) fail single items; their selectors (all optional, all must hold):
        "digest": HEX | [HEX, ...]     the item's digest
        "index": N | [N, ...]          the item's 0-based position in its request
        "index_mod": [K, R]            position % K == R
        "attempts": [N, ...]           the item's attempt numbers (1 = first time seen); absent: every attempt
        "fraction": F                  only a fraction F of the items otherwise matched, chosen from --seed
        "times": N                     fail at most N items in all
    Call rules act on whole calls; they count the calls they match ("api" only, where the stub has several) and
    fire on "calls": [N, ...] (1-based), or "first": N, or "every": K (the Kth, 2Kth, ...), or, with none of these,
    every call; then "after": N lets N more of those through first, "times": N fires at most N times.
    Every stub has the call actions
        {"delay_ms": N}                                      wait N ms before answering (after processing)
        {"cut_after_bytes": N, "cut_mode": "close"|"reset"}  process the call, send the first N bytes of the
            whole HTTP answer (status line and headers included: 0 = nothing), then close (FIN) or reset (RST)
    and a TERMINAL one that refuses the call before its items are looked at (ending the list of rules fired).
    """

    ITEM_ACTIONS = ()
    CALL_ACTIONS = ("delay_ms", "cut_after_bytes")
    TERMINAL = ()
    APIS = ()  # the values "api" may take (none: the field is refused)
    ITEM_FIELDS = {"digest", "index", "index_mod", "attempts", "fraction", "times"}
    CALL_FIELDS = {"calls", "first", "every", "after", "times", "cut_mode"}
    EXTRA_FIELDS = {}  # action -> fields it may carry beside the selectors

    def __init__(self, index, spec):
        self.index, self.spec = index, spec
        self.action = rule_action(index, spec, self.ITEM_ACTIONS + self.CALL_ACTIONS)
        self.per_item = self.action in self.ITEM_ACTIONS
        allowed = (self.ITEM_FIELDS if self.per_item else self.CALL_FIELDS) | {self.action} | \
            set(self.EXTRA_FIELDS.get(self.action, ())) | ({"api"} if self.APIS else set())
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError("fault rule %d (%s) has unknown fields %s" % (index, self.action, sorted(unknown)))
        if spec.get("api") not in (None,) + tuple(self.APIS):
            raise ValueError("fault rule %d: api must be %s" % (index, " or ".join(self.APIS)))
        if spec.get("cut_mode", "close") not in ("close", "reset"):
            raise ValueError("fault rule %d: cut_mode must be close or reset" % index)
        if len([k for k in ("calls", "first", "every") if k in spec]) > 1:
            raise ValueError("fault rule %d: use one of calls, first, every" % index)
        if "index_mod" in spec and not (isinstance(spec["index_mod"], list) and len(spec["index_mod"]) == 2
                                        and spec["index_mod"][0] > 0):
            raise ValueError("fault rule %d: index_mod is [K, R] with K > 0" % index)
        self.check()
        self.reset()

    def check(self):
        """A subclass's own checks of self.spec (ValueError)."""

    def reset(self):
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


def common_args(description, record_help="append the digest of every accepted item, one per line"):
    """The options every fault stub takes; a stub adds its own to the parser returned."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--faults", help="JSON file: a list of fault rules")
    ap.add_argument("--seed", type=int, default=0, help="chooses the items of fraction rules")
    ap.add_argument("--delay-ms", type=int, default=0, help="wait before every answer of an API call")
    ap.add_argument("--process-delay-ms", type=int, default=0,
                    help="wait before taking a call's items (a client killed meanwhile sent a call that did not count)")
    ap.add_argument("--record", metavar="FILE", help=record_help)
    ap.add_argument("--verbose", action="store_true", help="one JSON line per call on stderr")
    return ap


def read_secret(path, what):
    """The first line of a secret file, stripped (ValueError when empty)."""
    with open(path, encoding="utf-8") as f:
        value = f.read().strip()
    if not value:
        raise ValueError("%s: the %s file is empty" % (path, what))
    return value


class Store:
    """Fault rules and what was received, behind one lock. A stub's subclass sets NAME, RULE, APIS (the names
    its stats count under "calls") and TARGETS (the stats key of items per target), and adds its own state in
    reset_own/stats_own."""

    NAME = "stub"
    RULE = Rule
    APIS = ()
    TARGETS = "targets"

    def __init__(self, args):
        self.lock = threading.Lock()
        self.seed, self.delay, self.verbose = args.seed, args.delay_ms / 1000.0, args.verbose
        # Before a call's items are taken: a client killed then has sent a call that never counted.
        self.process_delay = args.process_delay_ms / 1000.0
        self.rules = [self.RULE(i, s) for i, s in enumerate(load_rules(args.faults))]
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
            self.calls = {api: 0 for api in self.APIS}
            self.statuses = {}
            self.attempts = {}  # digest -> times it reached per-item processing
            self.accepted = {}  # digest -> times accepted
            self.accepted_items = 0
            self.rejected = []
            self.in_flight = self.max_in_flight = 0
            self.auth = {"withAuthorization": 0, "withoutAuthorization": 0, "schemes": {}, "accessKeyIds": {},
                         "services": {}, "tokenHashes": [], "refused": 0}
            self.targets = {}  # target name -> items received
            self.log = []
            self.reset_own()
            for rule in self.rules:
                rule.reset()

    def reset_own(self):
        """A subclass's own counts (called under the lock)."""

    def count(self, table, key, n=1):
        table[key] = table.get(key, 0) + n

    def note_token(self, secret, entry):
        """Keeps only a 12-hex hash of a token, key or password (under the lock)."""
        hashed = token_hash(secret)
        entry["token"] = hashed
        if hashed not in self.auth["tokenHashes"]:
            self.auth["tokenHashes"].append(hashed)

    def note_auth(self, headers, entry):
        """Authorization's scheme, an AWS credential's access key id and scope service (identifiers, not
        secrets) and x-amz-security-token's hash (under the lock)."""
        auth = headers.get("Authorization")
        entry["auth"] = bool(auth)
        if not auth:
            self.auth["withoutAuthorization"] += 1
        else:
            self.auth["withAuthorization"] += 1
            self.count(self.auth["schemes"], auth.split(None, 1)[0])
            key_id = CREDENTIAL_KEY.search(auth)
            if key_id:
                self.count(self.auth["accessKeyIds"], key_id.group(1))
                entry["accessKeyId"] = key_id.group(1)
            scope = CREDENTIAL_SCOPE.search(auth)
            if scope:
                self.count(self.auth["services"], scope.group(2))
        token = headers.get("x-amz-security-token")
        if token is not None:
            self.note_token(token, entry)

    def begin(self, headers, entry):
        with self.lock:
            self.requests += 1
            entry["n"] = self.requests
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.note_auth(headers, entry)
            self.log.append(entry)

    def count_status(self, entry):
        with self.lock:
            self.count(self.statuses, str(entry.get("status")))

    def end(self, entry, counted=False):
        """The call is over; its status is counted unless it was when its answer was written."""
        with self.lock:
            self.in_flight -= 1
            if not counted:
                self.count(self.statuses, str(entry.get("status")))
        if self.verbose:
            print("%s: %s" % (self.NAME, json.dumps(entry, sort_keys=True)), file=sys.stderr, flush=True)

    def refused(self):
        with self.lock:
            self.auth["refused"] += 1

    def call_faults(self, api):
        """The call rules that fire on this call, in order, up to and including the first terminal one."""
        fired = []
        with self.lock:
            self.count(self.calls, api)
            for rule in self.rules:
                if rule.per_item or not rule.for_api(api):
                    continue
                if rule.select_call():
                    fired.append(rule)
                    if rule.action in rule.TERMINAL:
                        break
        return fired

    def item_check(self, api, position, item):
        """The error an item meets whatever the rules say: item[1] (the parser's), or the stub's own look at its
        state (called under the lock)."""
        return item[1]

    def item_error(self, rule, item):
        """The error tuple (code, message[, status]) an item rule gives."""
        raise NotImplementedError

    def item_taken(self, api, position, item):
        """An item accepted (called under the lock)."""

    def process_items(self, api, request_number, items, defer=False):
        """items: [(digest, natural_error or None, target, ...)]. Returns [(code, message[, status]) or None] in
        order, with accepted items counted and recorded before the caller answers (defer: the caller takes them
        later, with take())."""
        outcomes, taken = [], []
        with self.lock:
            for position, item in enumerate(items):
                digest, target = item[0], item[2]
                self.count(self.targets, target)
                attempt = self.attempts.get(digest, 0) + 1
                self.attempts[digest] = attempt
                error = self.item_check(api, position, item)
                if error is None:
                    for rule in self.rules:
                        if rule.per_item and rule.for_api(api) and rule.select_item(self.seed, position, digest, attempt):
                            error = self.item_error(rule, item)
                            break
                if error is None:
                    taken.append(digest)
                    self.item_taken(api, position, item)
                else:
                    rejected = {"digest": digest, "code": error[0], "attempt": attempt, "api": api,
                                "index": position, "request": request_number}
                    if len(error) > 2:
                        rejected["status"] = error[2]
                    self.rejected.append(rejected)
                outcomes.append(error)
            if not defer:
                self.take(taken)
        return outcomes

    def take(self, digests):
        """Counts items as accepted and appends them to --record (called under the lock)."""
        for digest in digests:
            self.count(self.accepted, digest)
        self.accepted_items += len(digests)
        if self.record_fd is not None and digests:
            # One write per call with O_APPEND: lines of concurrent calls never interleave.
            data = "".join(d + "\n" for d in digests).encode("ascii")
            while data:
                data = data[os.write(self.record_fd, data):]

    def stats_own(self, out, brief):
        """A subclass's own stats fields (called under the lock)."""

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
                self.TARGETS: dict(self.targets),
                "auth": json.loads(json.dumps(self.auth)),
            }
            self.stats_own(out, brief)
            if not brief:
                out["accepted"] = dict(self.accepted)
                out["log"] = [dict(e) for e in self.log]
            return out


def call_effects(faults, delay):
    """(delay in seconds, cut bytes or None, cut mode, the other rules) of the call rules fired."""
    cut, mode, others = None, "close", []
    for rule in faults:
        if rule.action == "delay_ms":
            delay += rule.spec["delay_ms"] / 1000.0
        elif rule.action == "cut_after_bytes":
            cut, mode = rule.spec["cut_after_bytes"], rule.spec.get("cut_mode", "close")
        else:
            others.append(rule)
    return delay, cut, mode, others


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the body back until the
    # client's delayed ACK (40 ms on Linux), a latency no AWS endpoint adds.
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, format, *args):
        pass


class FaultHandler(StubHandler):
    """A fault stub's handler: GET /__stats (`?brief=1`), DELETE /__stats, bodies read whole, answers written in
    one piece (so a cut can fall anywhere), delayed and cut as the call rules say. A stub's subclass sets
    server_version and CONTENT_TYPE and serves POST through serve_call."""

    CONTENT_TYPE = "application/json"

    def extra_headers(self):
        return []

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def answer_bytes(self, status, body, content_type=None, headers=()):
        head = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("",))[0]),
                "Server: %s" % self.server_version, "Content-Type: %s" % (content_type or self.CONTENT_TYPE),
                *self.extra_headers(), *headers, "Content-Length: %d" % len(body)]
        return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body

    def not_found(self):
        self.wfile.write(self.answer_bytes(404, b"", "text/plain"))

    def do_GET(self):
        split = urllib.parse.urlsplit(self.path)
        if split.path != "/__stats":
            self.read_body()
            self.not_found()
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
            self.not_found()

    def client_gone(self):
        """True when the client closed its end (a killed process): a peek finds the end of the stream."""
        import select
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def process_delay_lost(self, entry):
        """Waits --process-delay-ms; True when the client died meanwhile: like a request lost with its
        connection, nothing of it is taken."""
        store = self.server.store
        if store.process_delay:
            time.sleep(store.process_delay)
            if self.client_gone():
                entry["status"] = "client-gone"
                self.close_connection = True
                return True
        return False

    def call_rules(self, api, entry):
        """The call rules fired on this call (logged in entry): (delay in seconds, including --delay-ms; cut bytes
        or None; cut mode; the other rules fired)."""
        faults = self.server.store.call_faults(api)
        if faults:
            entry["faults"] = [r.index for r in faults]
        return call_effects(faults, self.server.store.delay)

    def serve_call(self, entry, call):
        """Counts the call in the store around call() (a client that hangs up is logged, not raised)."""
        store = self.server.store
        store.begin(self.headers, entry)
        self.status_counted = False
        try:
            call()
        except (BrokenPipeError, ConnectionResetError):
            entry["status"] = "client-closed"
            self.close_connection = True
        finally:
            store.end(entry, self.status_counted)

    def send_answer(self, entry, status, payload, delay=0.0, cut=None, cut_mode="close", content_type=None,
                    headers=()):
        entry["status"] = status
        if delay:
            time.sleep(delay)
        data = self.answer_bytes(status, payload, content_type, headers)
        # Counted before the answer goes: a client that reads /__stats as soon as it has its answer sees it.
        self.server.store.count_status(entry)
        self.status_counted = True
        if cut is None:
            self.wfile.write(data)
            return
        entry["cut"] = min(cut, len(data))
        self.wfile.write(data[:cut])
        self.server.cut(self, cut_mode)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the benchmarks open many connections at once

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reset_lock = threading.Lock()
        self.reset_sockets = set()

    def cut(self, handler, mode):
        """Ends the handler's connection after what it has written: FIN ("close") or RST ("reset", as a dropped
        connection looks)."""
        handler.wfile.flush()
        if mode == "reset":
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN (shutdown_request below skips
            # its usual FIN for this socket).
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with self.reset_lock:
                self.reset_sockets.add(handler.connection.fileno())
        else:
            handler.connection.shutdown(socket.SHUT_RDWR)
        handler.close_connection = True

    def shutdown_request(self, request):
        with self.reset_lock:
            reset = request.fileno() in self.reset_sockets
            self.reset_sockets.discard(request.fileno())
        if reset:
            self.close_request(request)
        else:
            super().shutdown_request(request)


def serve(handler_class, store):
    """Prints `PORT <n>` and serves until SIGTERM or SIGINT."""
    # Blocked before any thread starts, so only sigwait below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    server = Server(("127.0.0.1", 0), handler_class)
    server.store = store
    # A short poll lets SIGTERM stop the stub at once (shutdown waits for the loop to look again).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
    finally:
        server.shutdown()
        server.server_close()


def run(name, make_store, handler_class):
    """A stub's main: the exit status (2 when its arguments or files are wrong). A store with close() is closed
    when the stub stops."""
    try:
        store = make_store()
    except (OSError, ValueError) as error:
        print("%s: %s" % (name, error), file=sys.stderr)
        return 2
    try:
        serve(handler_class, store)
    finally:
        if hasattr(store, "close"):
            store.close()
    return 0


class StubProcess:
    """A stub script on a free port, for self-tests; stop() ends it and removes its scratch directory.
    `faults` (a JSON value) is written to a file passed as --faults; record=True passes --record FILE."""

    def __init__(self, script, *args, faults=None, prefix="stub-", record=False, files=None):
        self.scratch = tempfile.mkdtemp(prefix=prefix)
        # files: {name: text} written to the scratch directory; an argument "FILE:name" becomes that file's path
        # (for a stub's token or password file).
        for name, text in (files or {}).items():
            with open(os.path.join(self.scratch, name), "w") as f:
                f.write(text)
        args = [os.path.join(self.scratch, a[5:]) if a.startswith("FILE:") else a for a in args]
        cmd = [sys.executable, script, *args]
        # record: --record goes to a file in the scratch directory, read by recorded().
        self.record = os.path.join(self.scratch, "record") if record else None
        if record:
            cmd += ["--record", self.record]
        if faults is not None:
            path = os.path.join(self.scratch, "faults.json")
            with open(path, "w") as f:
                json.dump(faults, f)
            cmd += ["--faults", path]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            self.proc.wait(10)
            error = self.proc.stderr.read()
            self.proc.stdout.close()
            self.proc.stderr.close()
            shutil.rmtree(self.scratch)
            raise RuntimeError("stub did not start: %r %s" % (line, error))
        self.port = int(line.split()[1])
        self.url = "http://127.0.0.1:%d" % self.port

    @classmethod
    def for_test(cls, test, *args, **kwargs):
        """A stub started for a unittest.TestCase, stopped by the test's cleanup."""
        stub = cls(*args, **kwargs)
        test.addCleanup(stub.stop)
        return stub

    def stats(self, query=""):
        with urllib.request.urlopen(self.url + "/__stats" + query) as r:
            return json.load(r)

    def recorded(self):
        with open(self.record) as f:
            return f.read().splitlines()

    def request(self, method, path, body=b"", headers=None):
        """(status, headers, body bytes) of one request, error statuses included."""
        req = urllib.request.Request(self.url + path, data=body if method != "GET" else None, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.headers, err.read()

    def secrets_shown(self, stats, *secrets):
        """Stops the stub and answers [(secret, where)] for each secret found in the stats given, the stub's stderr
        (kept in self.stderr) or its --record file."""
        record = open(self.record).read() if self.record else ""
        texts = {"stats": json.dumps(stats), "record": record, "stderr": self.stop()}
        return [(secret, where) for secret in secrets for where, text in texts.items() if secret in text]

    def stop(self):
        """Ends the stub (once; later calls do nothing) and answers what it wrote on stderr."""
        if self.proc.returncode is None:
            self.proc.terminate()
            self.proc.wait(10)
            self.stderr = self.proc.stderr.read()
            self.proc.stdout.close()
            self.proc.stderr.close()
            shutil.rmtree(self.scratch)
        return self.stderr
