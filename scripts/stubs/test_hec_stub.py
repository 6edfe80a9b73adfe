"""Self-test of hec-stub.py with urllib / http.client as the client.

    cd scripts/stubs && python3 -m unittest test_hec_stub
"""

import hashlib
import http.client
import json
import os
import socket
import time
import unittest
import urllib.error

from stubkit import StubProcess

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hec-stub.py")
TOKEN = "7d1e2f3a-hec-SECRET-token-0000"
AUTH = {"Authorization": "Splunk " + TOKEN}
CHANNEL = "2bd1a7b0-35f2-4c4f-9a55-0c3a2f7b1e11"
OTHER = "0f0e0d0c-0b0a-4909-8807-060504030201"


def digest(event):
    # The digest as the docstring defines it: the whole event object, canonical JSON.
    return hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


EVENTS = [{"time": 1700000000 + i, "sourcetype": "app", "event": {"n": i, "msg": "caf\u00e9"}} for i in range(6)]


def body(events, sep="\n"):
    return sep.join(json.dumps(e, ensure_ascii=False) for e in events).encode("utf-8")


class HECStubTest(unittest.TestCase):
    def start(self, *args, faults=None):
        return StubProcess.for_test(self, STUB, "--token-file", "FILE:token", *args, faults=faults,
                                    prefix="hec-stub-", record=True, files={"token": TOKEN + "\n"})

    def post(self, stub, data, path="/services/collector/event", headers=AUTH, channel=None):
        headers = dict(headers)
        if channel:
            headers["X-Splunk-Request-Channel"] = channel
        status, _, answer = stub.request("POST", path, data, headers)
        return status, json.loads(answer)

    def poll(self, stub, ids, channel=CHANNEL):
        return self.post(stub, json.dumps({"acks": ids}).encode(), path="/services/collector/ack", channel=channel)

    def test_token_paths_and_records(self):
        stub = self.start("--verbose")
        self.assertEqual(self.post(stub, body(EVENTS[:1]), headers={}), (401, {"text": "Token is required", "code": 2}))
        self.assertEqual(self.post(stub, body(EVENTS[:1]), headers={"Authorization": "Bearer " + TOKEN})[1]["code"], 3)
        self.assertEqual(self.post(stub, body(EVENTS[:1]), headers={"Authorization": "Splunk nope"}),
                         (403, {"text": "Invalid token", "code": 4}))
        ok = (200, {"text": "Success", "code": 0})
        self.assertEqual(self.post(stub, body(EVENTS[:2])), ok)
        self.assertEqual(self.post(stub, body(EVENTS[2:4], sep=""), path="/services/collector"), ok)
        self.assertEqual(self.post(stub, body(EVENTS[4:5], sep="  \r\n"), path="/services/collector/event/1.0"), ok)
        self.assertEqual(self.post(stub, body(EVENTS[:1]))[0], 200)
        self.assertEqual(self.post(stub, b"{}", path="/services/other")[0], 404)
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [digest(e) for e in EVENTS[:5] + EVENTS[:1]])
        self.assertEqual((stats["acceptedItems"], stats["duplicates"], stats["auth"]["refused"]), (6, 1, 3))
        self.assertEqual(stats["channels"], {"-": 6})
        self.assertEqual(stats["auth"]["schemes"], {"Bearer": 1, "Splunk": 6})
        self.assertIn(hashlib.sha256(TOKEN.encode()).hexdigest()[:12], stats["auth"]["tokenHashes"])
        self.assertEqual(stub.secrets_shown(stats, TOKEN), [])
        self.assertIn("hec-stub:", stub.stderr)

    def test_invalid_events_keep_the_ones_before(self):
        stub = self.start()
        self.assertEqual(self.post(stub, b" \n "), (400, {"text": "No data", "code": 5}))
        no_event = {"time": 1, "fields": {"a": 1}}
        status, answer = self.post(stub, body(EVENTS[:2] + [no_event] + EVENTS[2:3]))
        self.assertEqual((status, answer), (400, {"text": "Event field is required", "code": 12, "invalid-event-number": 2}))
        status, answer = self.post(stub, body(EVENTS[3:4] + [{"event": "  "}]))
        self.assertEqual(answer, {"text": "Event field cannot be blank", "code": 13, "invalid-event-number": 1})
        status, answer = self.post(stub, body(EVENTS[4:5]) + b'\n{"event": oops}')
        self.assertEqual(answer, {"text": "Invalid data format", "code": 6, "invalid-event-number": 1})
        self.assertEqual(self.post(stub, b'[1]')[1]["invalid-event-number"], 0)
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [digest(e) for e in EVENTS[:2] + EVENTS[3:5]])
        self.assertEqual([(r["code"], r["index"]) for r in stats["rejected"]], [(12, 2), (13, 1), (6, 1), (6, 0)])
        self.assertEqual(stats["rejected"][0]["digest"], digest(no_event))
        self.assertEqual(stats["statuses"], {"400": 5})

    def test_ack_channels_and_polls(self):
        stub = self.start("--ack", "--ack-after-polls", "2")
        self.assertEqual(self.post(stub, body(EVENTS[:1])), (400, {"text": "Data channel is missing", "code": 10}))
        self.assertEqual(self.post(stub, body(EVENTS[:1]), channel="not-a-guid")[1]["code"], 11)
        self.assertEqual(self.post(stub, body(EVENTS[:2]), channel=CHANNEL)[1], {"text": "Success", "code": 0, "ackId": 0})
        self.assertEqual(self.post(stub, body(EVENTS[2:3]), channel=CHANNEL)[1]["ackId"], 1)
        status, answer = self.post(stub, body(EVENTS[3:4]), path="/services/collector/event?channel=" + OTHER)
        self.assertEqual(answer["ackId"], 0)
        self.assertEqual(stub.recorded(), [])  # nothing indexed before its ack turns true
        self.assertEqual(self.poll(stub, [0, 1, 7]), (200, {"acks": {"0": False, "1": False, "7": False}}))
        self.assertEqual(self.poll(stub, [0]), (200, {"acks": {"0": True}}))
        self.assertEqual(stub.recorded(), [digest(e) for e in EVENTS[:2]])
        self.assertEqual(self.poll(stub, [0, 1])[1], {"acks": {"0": False, "1": True}})  # 0 was forgotten
        self.assertEqual(self.poll(stub, [0], channel=OTHER)[1], {"acks": {"0": False}})
        self.assertEqual(self.poll(stub, [0])[1], {"acks": {"0": False}})
        self.assertEqual(self.post(stub, b'{"acks": "x"}', path="/services/collector/ack", channel=CHANNEL)[1]["code"], 6)
        self.assertEqual(self.post(stub, b'{"acks": [0]}', path="/services/collector/ack")[1]["code"], 10)
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [digest(e) for e in EVENTS[:3]])
        self.assertEqual(stats["acks"], {"issued": 3, "polled": 3 + 1 + 2 + 1 + 1, "true": 2, "lost": 0, "pending": 1})
        self.assertEqual(stats["channels"], {CHANNEL: 3, OTHER: 1})
        self.assertEqual(stats["calls"], {"event": 5, "ack": 7})  # channel refusals count as calls

    def test_ack_disabled_and_ack_lost(self):
        plain = self.start()
        self.assertEqual(self.poll(plain, [0]), (400, {"text": "ACK is disabled", "code": 14}))
        stub = self.start("--ack", faults=[{"ack_lost": True, "api": "event", "calls": [2]}])
        ids = [self.post(stub, body(EVENTS[i:i + 1]), channel=CHANNEL)[1]["ackId"] for i in range(3)]
        self.assertEqual(ids, [0, 1, 2])
        for _ in range(3):
            self.poll(stub, [1])
        self.assertEqual(self.poll(stub, [0, 1, 2])[1], {"acks": {"0": True, "1": False, "2": True}})
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [digest(EVENTS[0]), digest(EVENTS[2])])
        self.assertEqual(stats["acks"], {"issued": 3, "polled": 6, "true": 2, "lost": 1, "pending": 1})
        with self.assertRaises(RuntimeError):
            StubProcess(STUB, faults=[{"ack_lost": True}])

    def test_call_status_faults(self):
        stub = self.start("--ack", faults=[{"call_status": 503, "api": "event", "first": 1},
                                           {"call_status": 500, "api": "event", "every": 2},
                                           {"call_status": 400, "api": "ack", "calls": [1], "text": "x", "code": 7}])
        outcomes = [self.post(stub, body(EVENTS[i:i + 1]), channel=CHANNEL) for i in range(4)]
        self.assertEqual(outcomes, [(503, {"text": "Server is busy", "code": 9}),
                                    (200, {"text": "Success", "code": 0, "ackId": 0}),
                                    (500, {"text": "Internal server error", "code": 8}),
                                    (200, {"text": "Success", "code": 0, "ackId": 1})])
        self.assertEqual(self.poll(stub, [0, 1]), (400, {"text": "x", "code": 7}))
        self.assertEqual(self.poll(stub, [0, 1])[1], {"acks": {"0": True, "1": True}})
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [digest(EVENTS[1]), digest(EVENTS[3])])
        self.assertEqual([f["fired"] for f in stats["faultsFired"]], [1, 1, 1])
        self.assertEqual(stats["acks"]["polled"], 2)  # the refused poll did not count

    def test_delay_and_cut(self):
        stub = self.start("--ack", faults=[{"delay_ms": 1500, "api": "event", "calls": [1]},
                                           {"cut_after_bytes": 0, "cut_mode": "reset", "api": "ack", "calls": [1]},
                                           {"cut_after_bytes": 100, "api": "event", "calls": [2]}])
        conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=0.5)
        conn.request("POST", "/services/collector/event", body(EVENTS[:1]), {**AUTH, "X-Splunk-Request-Channel": CHANNEL})
        with self.assertRaises(socket.timeout):
            conn.getresponse()
        conn.close()
        time.sleep(1.2)
        # The cut poll turned ack 0 true (and indexed its event); the client never saw it, and it is gone.
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, urllib.error.URLError)):
            self.poll(stub, [0])
        self.assertEqual(stub.recorded(), [digest(EVENTS[0])])
        self.assertEqual(self.poll(stub, [0])[1], {"acks": {"0": False}})
        with self.assertRaises(http.client.IncompleteRead):  # the headers take about 90 bytes
            self.post(stub, body(EVENTS[1:2]), channel=CHANNEL)
        self.assertEqual(self.poll(stub, [1])[1], {"acks": {"1": True}})
        self.assertEqual([e.get("cut") for e in stub.stats()["log"]], [None, 0, None, 100, None])

    def test_bad_fault_files_are_refused(self):
        for faults in ([{"call_status": "busy"}], [{"ack_lost": True, "api": "ack"}], [{"item_status": 429}],
                       [{"delay_ms": 1, "api": "bulk"}]):
            with self.assertRaises(RuntimeError):
                StubProcess(STUB, "--ack", faults=faults)


if __name__ == "__main__":
    unittest.main()
