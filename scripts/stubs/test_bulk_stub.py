"""Self-test of bulk-stub.py with urllib as the client and botocore's SigV4Auth to sign.

    cd scripts/stubs && python3 -m unittest test_bulk_stub
"""

import base64
import hashlib
import http.client
import json
import os
import socket
import time
import unittest
import urllib.error

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from stubkit import StubProcess

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bulk-stub.py")
PASSWORD = "s3cret-Bulk-passw0rd!"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLE-bulk-token/+="
NDJSON = {"Content-Type": "application/x-ndjson"}


def sha(data):
    return hashlib.sha256(data).hexdigest()


def doc_digest(doc):
    # The digest as the docstring defines it, computed here independently of the stub.
    return sha(json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


DOCS = [{"n": i, "msg": "caf\u00e9 %d" % i, "z": [i, {"b": 1, "a": 2}]} for i in range(6)]


def bulk(*pairs):
    """NDJSON of (action, meta, doc or None) triples, doc lines written with spaces and unsorted keys."""
    lines = []
    for action, meta, doc in pairs:
        lines.append(json.dumps({action: meta}))
        if doc is not None:
            lines.append(json.dumps(doc, ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode("utf-8")


def creates(docs, index="logs", first_id=0):
    return bulk(*[("create", {"_index": index, "_id": "id-%d" % (first_id + i)}, d) for i, d in enumerate(docs)])


class BulkStubTest(unittest.TestCase):
    def start(self, *args, faults=None, files=None):
        return StubProcess.for_test(self, STUB, *args, faults=faults, prefix="bulk-stub-", record=True, files=files)

    def post(self, stub, body, path="/_bulk", headers=NDJSON):
        status, _, data = stub.request("POST", path, body, headers)
        return status, json.loads(data) if data else None

    def item_statuses(self, answer):
        return [list(i.values())[0]["status"] for i in answer["items"]]

    def test_create_index_delete_conflicts_and_records(self):
        stub = self.start()
        status, answer = self.post(stub, creates(DOCS[:3]))
        self.assertEqual((status, answer["errors"]), (200, False))
        self.assertEqual(answer["items"][0]["create"]["result"], "created")
        self.assertEqual(self.item_statuses(answer), [201, 201, 201])
        # A replay of the same creates: 409 per item, nothing accepted again.
        status, answer = self.post(stub, creates(DOCS[:3]))
        self.assertEqual((status, answer["errors"]), (200, True))
        self.assertEqual(self.item_statuses(answer), [409, 409, 409])
        self.assertEqual(answer["items"][1]["create"]["error"]["type"], "version_conflict_engine_exception")
        # index on a stored id updates; without _id an id is generated; delete of a stored / unknown id.
        body = bulk(("index", {"_id": "id-0"}, DOCS[0]), ("index", {}, DOCS[3]),
                    ("delete", {"_id": "id-1"}, None), ("delete", {"_id": "nope"}, None))
        status, answer = self.post(stub, body, path="/logs/_bulk", headers={"Content-Type": "application/json"})
        self.assertEqual(self.item_statuses(answer), [200, 201, 200, 404])
        self.assertFalse(answer["errors"])
        self.assertEqual([list(i.values())[0]["result"] for i in answer["items"]],
                         ["updated", "created", "deleted", "not_found"])
        self.assertEqual(answer["items"][0]["index"]["_version"], 2)
        self.assertEqual(len(answer["items"][1]["index"]["_id"]), 20)
        stats = stub.stats()
        deletes = [sha(json.dumps({"delete": {"_id": i}}, sort_keys=True, separators=(",", ":")).encode())
                   for i in ("id-1", "nope")]
        expected = [doc_digest(d) for d in DOCS[:3]] + [doc_digest(DOCS[0]), doc_digest(DOCS[3])] + deletes
        self.assertEqual(stub.recorded(), expected)
        self.assertEqual(stats["accepted"][doc_digest(DOCS[0])], 2)
        self.assertEqual((stats["duplicates"], stats["conflicts"], stats["acceptedItems"]), (1, 3, 7))
        self.assertEqual(stats["indices"], {"logs": 10})
        self.assertEqual(stats["itemStatuses"], {"201": 4, "409": 3, "200": 2, "404": 1})
        self.assertEqual(stats["results"], {"created": 4, "updated": 1, "deleted": 1, "not_found": 1})
        self.assertEqual([r["status"] for r in stats["rejected"]], [409, 409, 409])
        # DELETE /__stats keeps the stored ids: a create of id-2 still conflicts.
        stub.request("DELETE", "/__stats")
        self.assertEqual(self.item_statuses(self.post(stub, creates(DOCS[2:3], first_id=2))[1]), [409])
        self.assertEqual(stub.stats()["conflicts"], 1)

    def test_malformed_requests_are_refused_whole(self):
        stub = self.start("--max-body-bytes", "2000")
        status, answer = self.post(stub, creates(DOCS[:2])[:-1])
        self.assertEqual((status, answer), (400, {"error": {"type": "illegal_argument_exception", "reason":
                         "The bulk request must be terminated by a newline [\\n]"}, "status": 400}))
        status, answer = self.post(stub, creates(DOCS[:1]), headers={"Content-Type": "text/plain"})
        self.assertEqual((status, answer["status"]), (406, 406))
        self.assertEqual(self.post(stub, b"")[0], 400)
        self.assertEqual(self.post(stub, b'{"create":{"_index":"a"}}\n')[0], 400)  # no document line
        self.assertEqual(self.post(stub, b'{"update":{"_index":"a","_id":"1"}}\n{}\n')[0], 400)
        self.assertEqual(self.post(stub, b'{"create":{"_id":"1"}}\n{}\n')[0], 400)  # no index
        status, answer = self.post(stub, creates([{"x": "y" * 3000}]))
        self.assertEqual((status, answer), (413, {"Message": "Request size exceeded 2000 bytes"}))
        self.assertEqual(stub.request("POST", "/a/b/_bulk", b"{}\n", NDJSON)[0], 404)
        # A document that is not an object fails alone, with the digest of its raw bytes.
        status, answer = self.post(stub, b'{"index":{"_index":"a"}}\n[1]\n{"index":{"_index":"a"}}\n{"ok":1}\n')
        self.assertEqual((status, self.item_statuses(answer)), (200, [400, 201]))
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [doc_digest({"ok": 1})])
        self.assertEqual([(r["digest"], r["code"]) for r in stats["rejected"]],
                         [(sha(b"[1]"), "mapper_parsing_exception")])
        self.assertEqual(stats["statuses"], {"400": 5, "406": 1, "413": 1, "404": 1, "200": 1})

    def test_item_faults_with_selectors(self):
        stub = self.start(faults=[{"item_status": 429, "digest": doc_digest(DOCS[1]), "attempts": [1, 2]},
                                  {"item_status": 400, "index_mod": [4, 3], "reason": "bad field"},
                                  {"item_status": 503, "index": [0], "times": 1}])
        status, answer = self.post(stub, creates(DOCS[:4]))
        self.assertEqual(self.item_statuses(answer), [503, 429, 201, 400])
        self.assertTrue(answer["errors"])
        self.assertEqual(answer["items"][1]["create"]["error"]["type"], "es_rejected_execution_exception")
        self.assertEqual(answer["items"][3]["create"]["error"], {"type": "mapper_parsing_exception", "reason": "bad field"})
        self.assertEqual(answer["items"][0]["create"]["error"]["type"], "unavailable_shards_exception")
        # Retry of the failed ones (as a client would, at new positions): id-1 fails its 2nd attempt, then passes.
        retry = bulk(("create", {"_index": "logs", "_id": "id-1"}, DOCS[1]), ("create", {"_index": "logs", "_id": "id-0"}, DOCS[0]))
        self.assertEqual(self.item_statuses(self.post(stub, retry)[1]), [429, 201])
        self.assertEqual(self.item_statuses(self.post(stub, retry)[1]), [201, 409])
        stats = stub.stats()
        self.assertEqual([f["fired"] for f in stats["faultsFired"]], [2, 1, 1])
        self.assertEqual(sorted(stub.recorded()), sorted(doc_digest(DOCS[i]) for i in (0, 1, 2)))
        self.assertEqual([(r["status"], r["attempt"]) for r in stats["rejected"]],
                         [(503, 1), (429, 1), (400, 1), (429, 2), (409, 3)])

    def test_fraction_is_fixed_by_the_seed(self):
        docs = [{"i": i} for i in range(300)]
        faults = [{"item_status": 429, "fraction": 0.2}]

        def failed(seed):
            stub = self.start("--seed", str(seed), faults=faults)
            answer = self.post(stub, bulk(*[("index", {"_index": "x"}, d) for d in docs]))[1]
            return {i for i, s in enumerate(self.item_statuses(answer)) if s == 429}

        a, b, c = failed(3), failed(3), failed(4)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertTrue(30 <= len(a) <= 90, len(a))

    def test_call_faults_refuse_whole_requests(self):
        stub = self.start(faults=[{"call_status": 429, "first": 1},
                                  {"call_status": 503, "every": 2},
                                  {"call_status": 413, "calls": [5], "reason": "too big"}])
        outcomes = []
        for i in range(6):
            status, answer = self.post(stub, creates(DOCS[i:i + 1], first_id=i))
            outcomes.append((status, answer.get("error", {}).get("type") if status != 413 else answer))
        # Rule 1 sees the calls rule 0 let through (2..6) and fires on its 2nd and 4th (calls 3 and 5).
        self.assertEqual(outcomes, [(429, "es_rejected_execution_exception"), (200, None),
                                    (503, "internal_server_error"), (200, None), (503, "internal_server_error"),
                                    (200, None)])
        stats = stub.stats()
        self.assertEqual(stub.recorded(), [doc_digest(DOCS[i]) for i in (1, 3, 5)])
        self.assertEqual([f["fired"] for f in stats["faultsFired"]], [1, 2, 0])
        self.assertEqual(stats["rejected"], [])

    def test_delay_and_cut_deliver_items_anyway(self):
        stub = self.start("--delay-ms", "30", faults=[{"delay_ms": 1500, "calls": [1]},
                                                      {"cut_after_bytes": 0, "cut_mode": "reset", "calls": [2]},
                                                      {"cut_after_bytes": 120, "calls": [3]}])
        conn = http.client.HTTPConnection("127.0.0.1", stub.port, timeout=0.5)
        conn.request("POST", "/_bulk", creates(DOCS[:1]), NDJSON)
        with self.assertRaises(socket.timeout):
            conn.getresponse()
        conn.close()
        with self.assertRaises((ConnectionResetError, http.client.RemoteDisconnected, urllib.error.URLError)):
            stub.request("POST", "/_bulk", creates(DOCS[1:2], first_id=1), NDJSON)
        with self.assertRaises(http.client.IncompleteRead):  # the headers take about 90 bytes
            self.post(stub, creates(DOCS[2:3], first_id=2))
        t = time.monotonic()
        self.assertEqual(self.post(stub, creates(DOCS[3:4], first_id=3))[0], 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.03)
        self.assertEqual(stub.recorded(), [doc_digest(DOCS[i]) for i in range(4)])
        self.assertEqual([e.get("cut") for e in stub.stats()["log"]], [None, 0, 120, None])

    def test_basic_auth(self):
        stub = self.start("--basic-auth-file", "FILE:basic", "--verbose", files={"basic": "admin:%s\n" % PASSWORD})
        status, headers, data = stub.request("POST", "/_bulk", creates(DOCS[:1]), NDJSON)
        self.assertEqual((status, json.loads(data)["error"]["type"]), (401, "security_exception"))
        self.assertIn("Basic", headers["WWW-Authenticate"])
        wrong = "Basic " + base64.b64encode(b"admin:nope").decode()
        self.assertEqual(self.post(stub, creates(DOCS[:1]), headers={**NDJSON, "Authorization": wrong})[0], 401)
        right = "Basic " + base64.b64encode(("admin:" + PASSWORD).encode()).decode()
        self.assertEqual(self.post(stub, creates(DOCS[:1]), headers={**NDJSON, "Authorization": right})[0], 200)
        stats = stub.stats()
        self.assertEqual(stats["auth"]["refused"], 2)
        self.assertEqual(stats["auth"]["schemes"], {"Basic": 2})
        self.assertEqual(stub.recorded(), [doc_digest(DOCS[0])])
        self.assertEqual(stub.secrets_shown(stats, PASSWORD, right.split()[1]), [])
        self.assertIn("bulk-stub:", stub.stderr)

    def signed(self, stub, body, service, content_sha=None, token=TOKEN):
        req = AWSRequest(method="POST", url=stub.url + "/_bulk", data=body, headers=dict(NDJSON))
        if content_sha:
            req.headers["x-amz-content-sha256"] = content_sha
        SigV4Auth(Credentials("AKIDBULKSTUB", SECRET, token), service, "eu-west-1").add_auth(req)
        return self.post(stub, body, headers=dict(req.headers.items()))[0]

    def test_sigv4_es(self):
        stub = self.start("--sigv4", "es")
        self.assertEqual(self.signed(stub, creates(DOCS[:1]), "es"), 200)
        self.assertEqual(self.signed(stub, creates(DOCS[1:2]), "aoss"), 403)
        self.assertEqual(self.post(stub, creates(DOCS[2:3]))[0], 403)
        stats = stub.stats()
        self.assertEqual(stats["auth"]["accessKeyIds"], {"AKIDBULKSTUB": 2})
        self.assertEqual(stats["auth"]["services"], {"es": 1, "aoss": 1})
        self.assertEqual(stats["auth"]["tokenHashes"], [sha(TOKEN.encode())[:12]])
        self.assertEqual((stats["auth"]["refused"], stub.recorded()), (2, [doc_digest(DOCS[0])]))
        self.assertNotIn(SECRET, json.dumps(stats))
        self.assertNotIn(TOKEN, json.dumps(stats))

    def test_sigv4_aoss_needs_the_body_hash(self):
        stub = self.start("--sigv4", "aoss")
        body = creates(DOCS[:1])
        self.assertEqual(self.signed(stub, body, "aoss", content_sha=sha(body)), 200)
        self.assertEqual(self.signed(stub, body, "aoss", content_sha=sha(b"other")), 403)
        self.assertEqual(self.signed(stub, body, "aoss"), 403)
        self.assertEqual(self.signed(stub, body, "es", content_sha=sha(body)), 403)
        self.assertEqual(stub.stats()["auth"]["refused"], 3)

    def test_bad_arguments_are_refused(self):
        for args, faults in ((("--sigv4", "es", "--basic-auth-file", "x"), None),
                             ((), [{"item_status": 429, "first": 1}]),
                             ((), [{"call_status": "busy"}]),
                             ((), [{"item_error": "X"}])):
            with self.assertRaises(RuntimeError):
                StubProcess(STUB, *args, faults=faults)


if __name__ == "__main__":
    unittest.main()
