#!/usr/bin/env python3
"""moto's server on 127.0.0.1, on a free port, printed as `PORT <n>` for the tests (never another address).
Runs until SIGTERM or SIGINT."""
import signal
import socket
import sys

try:
    from moto.server import ThreadedMotoServer
except ImportError as error:  # .ci/run installs it: python3 -m pip install 'moto[server]'
    sys.stderr.write(f"moto is not installed ({error}); run: python3 -m pip install 'moto[server]' boto3\n")
    sys.exit(77)

# Blocked before any thread starts, so only sigwait below receives them.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
server.start()
print(f"PORT {port}", flush=True)
try:
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
finally:
    server.stop()
