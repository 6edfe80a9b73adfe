"""What the fault stubs share: serving on 127.0.0.1 port 0 until SIGTERM/SIGINT, cutting an answer short, hashing
tokens for the stats, and (for their self-tests) running a stub as a child process.

The stubs run as scripts, so Python puts this directory first on sys.path and `import stubkit` finds this file.
"""

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
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The access key id is an identifier, not a secret: credential tests check which key signed.
CREDENTIAL_KEY = re.compile(r"Credential=([^/,\s]+)/")


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


class StubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the body back until the
    # client's delayed ACK (40 ms on Linux), a latency no AWS endpoint adds.
    disable_nagle_algorithm = True
    sys_version = ""

    def log_message(self, format, *args):
        pass


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
    `faults` (a JSON value) is written to a file passed as --faults."""

    def __init__(self, script, *args, faults=None, prefix="stub-"):
        self.scratch = tempfile.mkdtemp(prefix=prefix)
        cmd = [sys.executable, script, *args]
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

    def stats(self, query=""):
        with urllib.request.urlopen(self.url + "/__stats" + query) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        shutil.rmtree(self.scratch)
