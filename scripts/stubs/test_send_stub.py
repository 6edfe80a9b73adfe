"""Self-test of send-stub.py with boto3 as the independent client (retries off, so every fault shows).

    python3 -m unittest discover -s scripts/stubs -p 'test_send_stub.py'
"""

import hashlib
import json
import os
import threading
import time
import unittest
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from stubkit import StubProcess

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "send-stub.py")
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLE-send-token/+="
STREAM = "backfill-stream"


class Stub(StubProcess):
    """send-stub.py on a free port, with --record in its scratch directory (read by recorded())."""

    def __init__(self, *args, faults=None):
        super().__init__(STUB, *args, faults=faults, prefix="send-stub-", record=True)


def client(stub, service, read_timeout=10):
    config = Config(retries={"total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5)
    return boto3.client(service, endpoint_url=stub.url, region_name="us-east-1", config=config,
                        aws_access_key_id="AKIDSENDSTUB", aws_secret_access_key=SECRET, aws_session_token=TOKEN)


def digest(data):
    return hashlib.sha256(data).hexdigest()


def event_digest(entry):
    # Computed here the way the stub documents it, from what boto3 puts on the wire (Time: epoch seconds).
    return digest(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())


PAYLOADS = [("{\"n\": %d, \"text\": \"caf\u00e9 %s\"}\n" % (i, "x" * i)).encode() for i in range(8)]


def records(payloads=PAYLOADS):
    return [{"Data": p} for p in payloads]


def event(i, **extra):
    e = {"Source": "app.orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"order": i, "note": "\u00e9"})}
    e.update(extra)
    return e


def post(stub, target, body):
    """A raw call, for what boto3 would refuse to send."""
    req = urllib.request.Request(stub.url + "/", data=json.dumps(body).encode(), method="POST",
                                 headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


class StubTest(unittest.TestCase):
    def start(self, *args, faults=None):
        stub = Stub(*args, faults=faults)
        self.addCleanup(stub.stop)
        return stub

    def error(self, call):
        with self.assertRaises(ClientError) as ctx:
            call()
        return ctx.exception.response

    # -- Firehose -------------------------------------------------------

    def test_firehose_accepts_records_and_counts_digests_and_credentials(self):
        stub = self.start("--stream", STREAM)
        fh = client(stub, "firehose")
        answer = fh.put_record_batch(DeliveryStreamName=STREAM, Records=records())
        self.assertEqual(answer["FailedPutCount"], 0)
        self.assertEqual(len(answer["RequestResponses"]), len(PAYLOADS))
        self.assertTrue(all("RecordId" in r for r in answer["RequestResponses"]))
        fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[:2]))
        stats = stub.stats()
        expected = {digest(p): 1 for p in PAYLOADS}
        for p in PAYLOADS[:2]:
            expected[digest(p)] = 2
        self.assertEqual(stats["accepted"], expected)
        self.assertEqual(stats["acceptedItems"], len(PAYLOADS) + 2)
        self.assertEqual(stats["duplicates"], 2)
        self.assertEqual(stats["rejected"], [])
        self.assertEqual(stats["requests"], 2)
        self.assertEqual(stats["targets"], {STREAM: len(PAYLOADS) + 2})
        self.assertEqual(stats["auth"]["accessKeyIds"], {"AKIDSENDSTUB": 2})
        self.assertEqual(stats["auth"]["tokenHashes"], [digest(TOKEN.encode())[:12]])
        self.assertEqual(sorted(stub.recorded()), sorted([digest(p) for p in PAYLOADS] + [digest(p) for p in PAYLOADS[:2]]))
        text = json.dumps(stats)
        self.assertNotIn(SECRET, text)
        self.assertNotIn(TOKEN, text)
        self.assertEqual([e["accepted"] for e in stats["log"]], [len(PAYLOADS), 2])

    def test_unknown_stream_and_limits_fail_the_whole_call(self):
        stub = self.start("--stream", STREAM)
        fh = client(stub, "firehose")
        err = self.error(lambda: fh.put_record_batch(DeliveryStreamName="other", Records=records()))
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("ResourceNotFoundException", 400))
        status, body = post(stub, "Firehose_20150804.PutRecordBatch",
                            {"DeliveryStreamName": STREAM, "Records": [{"Data": "YQ=="}] * 501})
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))
        status, body = post(stub, "Nope.Op", {})
        self.assertEqual((status, body["__type"]), (400, "UnknownOperationException"))
        stats = stub.stats()
        self.assertEqual(stats["acceptedItems"], 0)
        self.assertEqual(stats["targets"], {})

    def test_item_faults_by_digest_on_chosen_attempts_then_accept(self):
        target = digest(PAYLOADS[3])
        stub = self.start(faults=[{"item_error": "ServiceUnavailableException", "digest": target, "attempts": [1, 2]}])
        fh = client(stub, "firehose")
        for attempt in (1, 2, 3):
            answer = fh.put_record_batch(DeliveryStreamName=STREAM, Records=records([PAYLOADS[3], PAYLOADS[4]]))
            codes = [r.get("ErrorCode") for r in answer["RequestResponses"]]
            if attempt < 3:
                self.assertEqual(answer["FailedPutCount"], 1)
                self.assertEqual(codes, ["ServiceUnavailableException", None])
                self.assertEqual(answer["RequestResponses"][0]["ErrorMessage"], "Slow down.")
            else:
                self.assertEqual(answer["FailedPutCount"], 0)
        stats = stub.stats()
        self.assertEqual(stats["accepted"], {target: 1, digest(PAYLOADS[4]): 3})
        self.assertEqual([(r["digest"], r["code"], r["attempt"]) for r in stats["rejected"]],
                         [(target, "ServiceUnavailableException", 1), (target, "ServiceUnavailableException", 2)])
        self.assertEqual(stats["faultsFired"][0]["fired"], 2)
        self.assertEqual(stub.recorded().count(target), 1)

    def test_item_faults_by_index_pattern_keep_request_order(self):
        stub = self.start(faults=[{"item_error": "InternalFailure", "index": [0, 5]},
                                  {"item_error": "ServiceUnavailableException", "index_mod": [3, 1], "times": 2}])
        answer = client(stub, "firehose").put_record_batch(DeliveryStreamName=STREAM, Records=records())
        codes = [r.get("ErrorCode") for r in answer["RequestResponses"]]
        self.assertEqual(codes, ["InternalFailure", "ServiceUnavailableException", None, None,
                                 "ServiceUnavailableException", "InternalFailure", None, None])
        self.assertEqual(answer["FailedPutCount"], 4)
        self.assertEqual(set(stub.stats()["accepted"]), {digest(PAYLOADS[i]) for i in (2, 3, 6, 7)})

    def test_fraction_is_fixed_by_the_seed(self):
        payloads = [b"item-%d" % i for i in range(400)]
        faults = [{"item_error": "ServiceUnavailableException", "fraction": 0.25, "attempts": [1]}]

        def failed(seed):
            stub = self.start("--seed", str(seed), faults=faults)
            fh = client(stub, "firehose")
            out = set()
            for start in (0, 200):
                answer = fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(payloads[start:start + 200]))
                out |= {start + i for i, r in enumerate(answer["RequestResponses"]) if "ErrorCode" in r}
            again = fh.put_record_batch(DeliveryStreamName=STREAM, Records=records([payloads[i] for i in sorted(out)]))
            self.assertEqual(again["FailedPutCount"], 0)  # second attempts are not in "attempts"
            return out

        a, b, c = failed(7), failed(7), failed(8)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)
        self.assertTrue(60 <= len(a) <= 140, len(a))

    def test_whole_call_throttle_first_n_then_every_kth(self):
        stub = self.start(faults=[{"call_error": "ServiceUnavailableException", "api": "firehose", "first": 2},
                                  {"call_error": "InternalFailure", "api": "firehose", "every": 3},
                                  {"call_error": "ThrottlingException", "api": "eventbridge", "after": 1, "times": 2}])
        fh = client(stub, "firehose")
        outcomes = []
        for _ in range(7):
            try:
                fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[:1]))
                outcomes.append("ok")
            except ClientError as e:
                outcomes.append((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]))
        # Rule 1 counts only the calls rule 0 let through: calls 3, 4, 5 of which the 3rd (call 5) fails.
        throttle = ("ServiceUnavailableException", 400)
        internal = ("InternalFailure", 500)
        self.assertEqual(outcomes, [throttle, throttle, "ok", "ok", internal, "ok", "ok"])
        stats = stub.stats()
        self.assertEqual(stats["accepted"], {digest(PAYLOADS[0]): 4})
        self.assertEqual(stats["rejected"], [])  # a refused call never reaches its items
        self.assertEqual(stats["statuses"], {"400": 2, "500": 1, "200": 4})
        ev = client(stub, "events")
        events = []
        for _ in range(4):
            try:
                events.append(ev.put_events(Entries=[event(0)])["FailedEntryCount"])
            except ClientError as e:
                events.append(e.response["Error"]["Code"])
        self.assertEqual(events, [0, "ThrottlingException", "ThrottlingException", 0])
        self.assertEqual([f["fired"] for f in stub.stats()["faultsFired"]], [2, 1, 2])

    def test_cut_answer_after_processing_counts_items_as_accepted(self):
        # The answer's headers take about 160 bytes: 180 cuts inside the body, 20 inside the status line.
        stub = self.start(faults=[{"cut_after_bytes": 180, "calls": [1]},
                                  {"cut_after_bytes": 0, "cut_mode": "reset", "calls": [2]},
                                  {"cut_after_bytes": 20, "calls": [3]}])
        fh = client(stub, "firehose")
        for batch in (PAYLOADS[:3], PAYLOADS[3:5]):
            with self.assertRaises(botocore.exceptions.ConnectionClosedError):
                fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(batch))
        # A cut inside the headers reaches botocore as a 200 with an empty body: a client must not take an
        # answer without FailedPutCount and RequestResponses as delivery of everything.
        empty = fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[5:6]))
        self.assertNotIn("FailedPutCount", empty)
        self.assertNotIn("RequestResponses", empty)
        answer = fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[6:7]))
        self.assertEqual(answer["FailedPutCount"], 0)
        self.assertEqual(sorted(stub.recorded()), sorted(digest(p) for p in PAYLOADS[:7]))
        log = stub.stats()["log"]
        self.assertEqual([e.get("cut") for e in log], [180, 0, 20, None])

    def test_delay_rule_and_global_delay_answer_late_and_still_deliver(self):
        stub = self.start("--delay-ms", "50", faults=[{"delay_ms": 1500, "calls": [2]}])
        fh = client(stub, "firehose", read_timeout=0.6)
        t = time.monotonic()
        fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[:1]))
        self.assertGreaterEqual(time.monotonic() - t, 0.05)
        with self.assertRaises(botocore.exceptions.ReadTimeoutError):
            fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[1:2]))
        self.assertEqual(stub.recorded(), [digest(PAYLOADS[0]), digest(PAYLOADS[1])])

    def test_max_in_flight_counts_concurrent_calls(self):
        stub = self.start("--delay-ms", "200")
        barrier = threading.Barrier(4)
        errors = []

        def one(i):
            try:
                fh = client(stub, "firehose")
                barrier.wait(5)
                fh.put_record_batch(DeliveryStreamName=STREAM, Records=records([b"concurrent %d" % i]))
            except Exception as e:  # reported below: a thread's exception would be lost
                errors.append(e)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        self.assertEqual(errors, [])
        stats = stub.stats()
        self.assertGreaterEqual(stats["maxInFlight"], 3)
        self.assertEqual(stats["acceptedDistinct"], 4)

    # -- EventBridge ----------------------------------------------------

    def test_eventbridge_natural_errors_item_faults_and_digests(self):
        stub = self.start(faults=[{"item_error": "ThrottlingException", "api": "eventbridge", "index": 1, "attempts": [1]},
                                  {"item_error": "InternalFailure", "api": "firehose"}])
        ev = client(stub, "events")
        entries = [event(0), event(1, EventBusName="orders", Resources=["arn:aws:s3:::b"]),
                   event(2, Detail="not json"), event(3, Detail="[1]"), event(4)]
        answer = ev.put_events(Entries=entries)
        codes = [e.get("ErrorCode") for e in answer["Entries"]]
        self.assertEqual(codes, [None, "ThrottlingException", "MalformedDetail", "MalformedDetail", None])
        self.assertEqual(answer["FailedEntryCount"], 3)
        self.assertTrue(all("EventId" in e for i, e in enumerate(answer["Entries"]) if i in (0, 4)))
        again = ev.put_events(Entries=[entries[1]])
        self.assertEqual(again["FailedEntryCount"], 0)
        stats = stub.stats()
        self.assertEqual(stats["accepted"], {event_digest(entries[i]): 1 for i in (0, 1, 4)})
        self.assertEqual([(r["code"], r["attempt"], r["index"]) for r in stats["rejected"]],
                         [("ThrottlingException", 1, 1), ("MalformedDetail", 1, 2), ("MalformedDetail", 1, 3)])
        self.assertEqual(stats["targets"], {"default": 4, "orders": 2})
        self.assertEqual(stats["faultsFired"][1]["fired"], 0)

    def test_eventbridge_unknown_bus_permanent_fault_and_timestamps(self):
        stub = self.start("--event-bus", "default",
                          faults=[{"item_error": "InvalidArgument", "index": 0, "message": "Bad resource."}])
        ev = client(stub, "events")
        when = __import__("datetime").datetime(2024, 3, 5, 12, 0, tzinfo=__import__("datetime").timezone.utc)
        answer = ev.put_events(Entries=[event(0), event(1, EventBusName="nope"), event(2, Time=when)])
        self.assertEqual([(e.get("ErrorCode"), e.get("ErrorMessage")) for e in answer["Entries"][:2]],
                         [("InvalidArgument", "Bad resource."), ("InvalidArgument", "Event bus nope does not exist.")])
        # boto3 sends Time as epoch seconds; the digest is of what was sent.
        self.assertEqual(list(stub.stats()["accepted"]), [event_digest(event(2, Time=int(when.timestamp())))])

    def test_eventbridge_whole_call_errors(self):
        stub = self.start(faults=[{"call_error": "ThrottlingException", "api": "eventbridge", "first": 1}])
        ev = client(stub, "events")
        err = self.error(lambda: ev.put_events(Entries=[event(0)]))
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("ThrottlingException", 400))
        status, body = post(stub, "AWSEvents.PutEvents", {"Entries": [event(i) for i in range(11)]})
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))
        big = event(0, Detail=json.dumps({"x": "y" * 200_000}))
        status, body = post(stub, "AWSEvents.PutEvents", {"Entries": [big, event(1, Detail=big["Detail"])]})
        self.assertEqual((status, body["__type"]), (400, "ValidationException"))
        self.assertEqual(ev.put_events(Entries=[event(0)])["FailedEntryCount"], 0)
        self.assertEqual(stub.stats()["acceptedItems"], 1)

    # -- stats, reset, configuration -------------------------------------

    def test_delete_resets_counts_and_rules_but_not_the_record_file(self):
        stub = self.start(faults=[{"call_error": "ServiceUnavailableException", "first": 1}])
        fh = client(stub, "firehose")
        self.error(lambda: fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[:1])))
        fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[:1]))
        urllib.request.urlopen(urllib.request.Request(stub.url + "/__stats", method="DELETE")).close()
        stats = stub.stats()
        self.assertEqual((stats["requests"], stats["accepted"], stats["faultsFired"][0]["fired"]), (0, {}, 0))
        self.error(lambda: fh.put_record_batch(DeliveryStreamName=STREAM, Records=records(PAYLOADS[:1])))
        self.assertEqual(stub.recorded(), [digest(PAYLOADS[0])])
        self.assertNotIn("log", stub.stats("?brief=1"))

    def test_bad_fault_file_is_refused(self):
        for faults in ([{"item_error": "X", "first": 1}], [{"delay_ms": 1, "call_error": "X"}], {"a": 1},
                       [{"call_error": "X", "first": 1, "every": 2}]):
            with self.assertRaises(RuntimeError) as ctx:
                Stub(faults=faults)
            self.assertIn("send-stub:", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
