"""Self-test of http-endpoint-stub.py with urllib / http.client as the client.

    cd scripts/stubs && python3 -m unittest test_http_endpoint_stub
"""

import base64
import gzip
import hashlib
import http.client
import json
import os
import socket
import unittest
import urllib.error

from stubkit import StubProcess

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "http-endpoint-stub.py")
KEY = "endpoint-ACCESS-key-9f8e7d"
PAYLOADS = [("{\"n\": %d, \"t\": \"caf\u00e9 %s\"}\n" % (i, "x" * i)).encode() for i in range(6)]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def delivery(request_id, payloads):
    return json.dumps({"requestId": request_id, "timestamp": 1700000000000,
                       "records": [{"data": base64.b64encode(p).decode()} for p in payloads]}).encode()


def headers(request_id, key=KEY, **extra):
    h = {"Content-Type": "application/json", "X-Amz-Firehose-Protocol-Version": "1.0",
         "X-Amz-Firehose-Request-Id": request_id}
    if key is not None:
        h["X-Amz-Firehose-Access-Key"] = key
    h.update(extra)
    return h


class EndpointStubTest(unittest.TestCase):
    def start(self, *args, faults=None):
        return StubProcess.for_test(self, STUB, "--access-key-file", "FILE:key", *args, faults=faults,
                                    prefix="endpoint-stub-", record=True, files={"key": KEY + "\n"})

    def send(self, stub, request_id, payloads, path="/deliver", **kw):
        status, _, data = stub.request("POST", path, delivery(request_id, payloads), headers(request_id, **kw))
        return status, json.loads(data)

    def test_delivery_access_key_and_repeated_ids(self):
        stub = self.start("--verbose")
        status, answer = self.send(stub, "req-1", PAYLOADS[:3])
        self.assertEqual((status, answer["requestId"], sorted(answer)), (200, "req-1", ["requestId", "timestamp"]))
        self.assertEqual(self.send(stub, "req-2", PAYLOADS[3:4], path="/other")[0], 200)
        self.assertEqual(self.send(stub, "req-1", PAYLOADS[:3])[0], 200)  # a replay is taken again
        status, answer = self.send(stub, "req-3", PAYLOADS[4:5], key=None)
        self.assertEqual((status, answer["requestId"], "errorMessage" in answer), (401, "req-3", True))
        self.assertEqual(self.send(stub, "req-3", PAYLOADS[4:5], key="wrong")[0], 401)
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [sha(p) for p in PAYLOADS[:4] + PAYLOADS[:3]])
        self.assertEqual((stats["requestIds"], stats["repeatedRequestIds"], stats["duplicates"]), (2, 1, 3))
        self.assertEqual(stats["paths"], {"/deliver": 6, "/other": 1})
        self.assertEqual((stats["auth"]["refused"], stats["auth"]["withAccessKey"], stats["auth"]["withoutAccessKey"]),
                         (2, 4, 1))
        self.assertEqual(sorted(stats["auth"]["tokenHashes"]), sorted([sha(KEY.encode())[:12], sha(b"wrong")[:12]]))
        self.assertEqual(stub.secrets_shown(stats, KEY), [])
        self.assertIn("http-endpoint-stub:", stub.stderr)

    def test_malformed_requests_answer_400(self):
        stub = self.start()
        body = delivery("req-1", PAYLOADS[:1])
        cases = [headers("req-1", **{"X-Amz-Firehose-Protocol-Version": "2.0"}), headers("other-id")]
        for h in cases:
            status, _, data = stub.request("POST", "/", body, h)
            self.assertEqual((status, json.loads(data)["requestId"]), (400, "req-1"))
        bad = json.dumps({"requestId": "r", "records": [{"data": "%%%"}]}).encode()
        self.assertEqual(stub.request("POST", "/", bad, headers("r"))[0], 400)
        self.assertEqual(stub.request("POST", "/", b"not json", headers("r"))[0], 400)
        zipped = gzip.compress(delivery("req-z", PAYLOADS[1:3]))
        self.assertEqual(stub.request("POST", "/", zipped, headers("req-z", **{"Content-Encoding": "gzip"}))[0], 200)
        self.assertEqual(stub.recorded(), [sha(p) for p in PAYLOADS[1:3]])
        self.assertEqual(stub.stats()["statuses"], {"400": 4, "200": 1})

    def test_item_faults_fail_the_whole_request(self):
        stub = self.start(faults=[{"item_status": 503, "digest": sha(PAYLOADS[2]), "attempts": [1, 2]},
                                  {"item_status": 413, "index_mod": [5, 4], "times": 1, "message": "too large"}])
        self.assertEqual(self.send(stub, "a", PAYLOADS[:3])[0], 503)
        self.assertEqual(self.send(stub, "a", PAYLOADS[:3])[0], 503)
        status, answer = self.send(stub, "b", PAYLOADS[:5])
        self.assertEqual((status, answer["errorMessage"]), (413, "too large"))
        self.assertEqual(self.send(stub, "c", PAYLOADS[:5])[0], 200)
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [sha(p) for p in PAYLOADS[:5]])
        self.assertEqual([(r["status"], r["attempt"], r["index"]) for r in stats["rejected"]],
                         [(503, 1, 2), (503, 2, 2), (413, 1, 4)])
        self.assertEqual(stats["repeatedRequestIds"], 0)

    def test_fraction_is_fixed_by_the_seed(self):
        payloads = [b"r-%d" % i for i in range(200)]

        def refused(seed):
            stub = self.start("--seed", str(seed), faults=[{"item_status": 500, "fraction": 0.25}])
            return [self.send(stub, "id-%d" % i, [p])[0] for i, p in enumerate(payloads)]

        a, b, c = refused(1), refused(1), refused(2)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertTrue(25 <= a.count(500) <= 75, a.count(500))

    def test_call_faults_and_wrong_request_id(self):
        stub = self.start(faults=[{"call_status": 429, "first": 1},
                                  {"call_status": 500, "every": 3, "message": "boom"},
                                  {"wrong_request_id": True, "calls": [2]}])
        outcomes = []
        for i in range(5):
            status, answer = self.send(stub, "id-%d" % i, PAYLOADS[i:i + 1])
            outcomes.append((status, answer["requestId"] == "id-%d" % i, answer.get("errorMessage")))
        # Rule 1 counts calls 2..5 and fires on the 3rd (call 4); rule 2 counts the calls left (2, 3, 5).
        self.assertEqual([o[0] for o in outcomes], [429, 200, 200, 500, 200])
        self.assertEqual(outcomes[3][2], "boom")
        self.assertEqual([o[1] for o in outcomes], [True, True, False, True, True])
        self.assertEqual(stub.recorded(), [sha(PAYLOADS[i]) for i in (1, 2, 4)])
        self.assertEqual([f["fired"] for f in stub.stats()["faultsFired"]], [1, 1, 1])

    def test_delay_and_cut(self):
        stub = self.start(faults=[{"delay_ms": 1500, "calls": [1]},
                                  {"cut_after_bytes": 0, "cut_mode": "reset", "calls": [2]},
                                  {"cut_after_bytes": 120, "calls": [3]}])
        conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=0.5)
        conn.request("POST", "/", delivery("a", PAYLOADS[:1]), headers("a"))
        with self.assertRaises(socket.timeout):
            conn.getresponse()
        conn.close()
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, urllib.error.URLError)):
            self.send(stub, "b", PAYLOADS[1:2])
        with self.assertRaises(http.client.IncompleteRead):  # the headers take about 100 bytes
            self.send(stub, "c", PAYLOADS[2:3])
        self.assertEqual(self.send(stub, "d", PAYLOADS[3:4])[0], 200)
        self.assertEqual(stub.recorded(), [sha(p) for p in PAYLOADS[:4]])
        self.assertEqual([e.get("cut") for e in stub.stats()["log"]], [None, 0, 120, None])

    def test_bad_fault_files_are_refused(self):
        for faults in ([{"call_status": "x"}], [{"wrong_request_id": True, "digest": "ab"}], [{"ack_lost": True}],
                       [{"item_status": 500, "api": "deliver"}]):
            with self.assertRaises(RuntimeError):
                StubProcess(STUB, faults=faults)


if __name__ == "__main__":
    unittest.main()
