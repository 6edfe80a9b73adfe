"""Self-test of sqs-stub.py with boto3 as the independent client (retries off, so every fault shows).

    python3 -m unittest discover -s scripts/stubs -p 'test_sqs_stub.py'
"""

import hashlib
import json
import os
import struct
import threading
import time
import unittest
import urllib.request

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from stubkit import StubProcess

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = os.path.join(HERE, "sqs-stub.py")
SAMPLES = os.path.join(HERE, "..", "..", "samples", "eventbridge-dlq")
DUMP = os.path.join(SAMPLES, "receive-message-dumps.json")
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FQoGZXIvYXdzEXAMPLE-sqs-token/+="


def client(stub, read_timeout=10):
    config = Config(retries={"total_max_attempts": 1}, read_timeout=read_timeout, connect_timeout=5)
    return boto3.client("sqs", endpoint_url=stub.url, region_name="us-east-1", config=config,
                        aws_access_key_id="AKIDSQSSTUB", aws_secret_access_key=SECRET, aws_session_token=TOKEN)


def dump_messages(path=DUMP):
    """Every message of a file holding one or more receive-message dumps, first of each MessageId (read here with
    Python's json, independently of the stub)."""
    with open(path) as f:
        text = f.read()
    decoder, position, out, seen = json.JSONDecoder(), 0, [], set()
    while text[position:].strip():
        position += len(text[position:]) - len(text[position:].lstrip())
        dump, position = decoder.raw_decode(text, position)
        for m in dump.get("Messages", []):
            if m["MessageId"] not in seen:
                seen.add(m["MessageId"])
                out.append(m)
    return out


def attributes_md5(attributes):
    """MD5OfMessageAttributes as the SQS developer guide describes it."""
    data = b""
    for name in sorted(attributes):
        a = attributes[name]
        for text in (name, a["DataType"]):
            data += struct.pack(">I", len(text.encode())) + text.encode()
        value = a["StringValue"].encode() if "StringValue" in a else a["BinaryValue"]
        data += (b"\x01" if "StringValue" in a else b"\x02") + struct.pack(">I", len(value)) + value
    return hashlib.md5(data).hexdigest()


def attrs(**values):
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


class SQSStubTest(unittest.TestCase):
    def start(self, *args, faults=None, queues=("q",)):
        qargs = [a for q in queues for a in ("--queue", q)]
        stub = StubProcess.for_test(self, STUB, *qargs, *args, faults=faults, prefix="sqs-stub-", record=True)
        sqs = client(stub)
        return stub, sqs, {q: "%s/123456789012/%s" % (stub.url, q) for q in queues}

    def error(self, call):
        with self.assertRaises(ClientError) as ctx:
            call()
        return ctx.exception.response

    def receive_all(self, sqs, url, **kwargs):
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, **kwargs).get("Messages", [])
            if not got:
                return out
            out += got

    def test_seed_file_receive_md5s_attributes_and_credentials(self):
        expected = dump_messages()
        with open(DUMP) as f:
            self.assertLess(len(expected), f.read().count('"MessageId"'))  # the dump repeats a MessageId
        stub, sqs, urls = self.start("--seed-file", "q=" + DUMP)
        self.assertEqual(sqs.get_queue_url(QueueName="q")["QueueUrl"], urls["q"])
        counts = sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=["ApproximateNumberOfMessages", "QueueArn"])
        self.assertEqual(counts["Attributes"], {"ApproximateNumberOfMessages": str(len(expected)),
                                                "QueueArn": "arn:aws:sqs:us-east-1:123456789012:q"})
        everything = sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=["All"])["Attributes"]
        for name in ("ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "VisibilityTimeout",
                     "CreatedTimestamp"):
            self.assertIn(name, everything)
        self.assertNotIn("RedrivePolicy", everything)
        got = self.receive_all(sqs, urls["q"], AttributeNames=["All"], MessageAttributeNames=["All"])
        self.assertEqual([m["MessageId"] for m in got], [m["MessageId"] for m in expected])
        for m, e in zip(got, expected):
            self.assertEqual(m["Body"], e["Body"])
            self.assertEqual(m["MD5OfBody"], hashlib.md5(e["Body"].encode()).hexdigest())
            self.assertEqual(m["MessageAttributes"], e["MessageAttributes"])
            self.assertEqual(m["MD5OfMessageAttributes"], attributes_md5(e["MessageAttributes"]))
            self.assertEqual(m["Attributes"]["SentTimestamp"], e["Attributes"]["SentTimestamp"])
            self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
            self.assertEqual(set(m["Attributes"]), {"SenderId", "SentTimestamp", "ApproximateReceiveCount",
                                                    "ApproximateFirstReceiveTimestamp"})
        # Names chosen: only those; none asked: no Attributes, no MessageAttributes.
        sqs.change_message_visibility_batch(QueueUrl=urls["q"], Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(got)])
        one = sqs.receive_message(QueueUrl=urls["q"], MessageSystemAttributeNames=["ApproximateReceiveCount"],
                                  MessageAttributeNames=["RULE_ARN"])["Messages"][0]
        self.assertEqual(one["Attributes"], {"ApproximateReceiveCount": "2"})
        self.assertEqual(list(one["MessageAttributes"]), ["RULE_ARN"])
        bare = sqs.receive_message(QueueUrl=urls["q"])["Messages"][0]
        self.assertNotIn("Attributes", bare)
        self.assertNotIn("MessageAttributes", bare)
        stats = stub.stats()
        self.assertEqual(stats["auth"]["accessKeyIds"], {"AKIDSQSSTUB": stats["requests"]})
        self.assertEqual(stats["auth"]["tokenHashes"], [hashlib.sha256(TOKEN.encode()).hexdigest()[:12]])
        self.assertEqual(stub.secrets_shown(stats, SECRET, TOKEN), [])

    def test_empty_receive_answers_no_messages_and_send_round_trips(self):
        stub, sqs, urls = self.start()
        raw = stub.request("POST", "/", json.dumps({"QueueUrl": urls["q"]}).encode(),
                           {"X-Amz-Target": "AmazonSQS.ReceiveMessage", "Content-Type": "application/x-amz-json-1.0"})
        self.assertEqual((raw[0], json.loads(raw[2])), (200, {}))
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=urls["q"]))
        sent = sqs.send_message(QueueUrl=urls["q"], MessageBody="caf\u00e9", MessageAttributes=attrs(RULE_ARN="r"))
        self.assertEqual(sent["MD5OfMessageBody"], hashlib.md5("caf\u00e9".encode()).hexdigest())
        self.assertEqual(sent["MD5OfMessageAttributes"], attributes_md5(attrs(RULE_ARN="r")))
        batch = sqs.send_message_batch(QueueUrl=urls["q"], Entries=[
            {"Id": "a", "MessageBody": "one"},
            {"Id": "b", "MessageBody": "two", "MessageAttributes": {
                "BIN": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}, "N": {"DataType": "Number", "StringValue": "3"}}}])
        self.assertEqual([s["Id"] for s in batch["Successful"]], ["a", "b"])
        self.assertEqual(batch["Successful"][1]["MD5OfMessageAttributes"], attributes_md5(
            {"BIN": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}, "N": {"DataType": "Number", "StringValue": "3"}}))
        got = self.receive_all(sqs, urls["q"], MessageAttributeNames=["All"])
        self.assertEqual([m["Body"] for m in got], ["caf\u00e9", "one", "two"])
        self.assertEqual([m["MessageId"] for m in got], [sent["MessageId"]] + [s["MessageId"] for s in batch["Successful"]])
        self.assertEqual(got[2]["MessageAttributes"]["BIN"]["BinaryValue"], b"\x00\x01")
        self.assertEqual(stub.stats()["calls"]["send"], 2)

    def test_visibility_timeouts_receive_counts_and_release(self):
        stub, sqs, urls = self.start()
        sqs.send_message(QueueUrl=urls["q"], MessageBody="m")
        first = sqs.receive_message(QueueUrl=urls["q"], VisibilityTimeout=1, AttributeNames=["All"])["Messages"][0]
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=urls["q"]))
        counts = sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        self.assertEqual(counts, {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"})
        time.sleep(1.2)
        second = sqs.receive_message(QueueUrl=urls["q"], VisibilityTimeout=600, AttributeNames=["All"])["Messages"][0]
        self.assertEqual(second["MessageId"], first["MessageId"])
        self.assertNotEqual(second["ReceiptHandle"], first["ReceiptHandle"])
        self.assertEqual(second["Attributes"]["ApproximateReceiveCount"], "2")
        self.assertEqual(second["Attributes"]["ApproximateFirstReceiveTimestamp"],
                         first["Attributes"]["ApproximateFirstReceiveTimestamp"])
        # Only the latest handle changes visibility.
        answer = sqs.change_message_visibility_batch(QueueUrl=urls["q"], Entries=[
            {"Id": "old", "ReceiptHandle": first["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "AQEBnope", "VisibilityTimeout": 0},
            {"Id": "range", "ReceiptHandle": second["ReceiptHandle"], "VisibilityTimeout": 43201}])
        self.assertEqual(answer["Successful"], [])
        self.assertEqual([(f["Id"], f["Code"], f["SenderFault"]) for f in answer["Failed"]],
                         [("old", "ReceiptHandleIsInvalid", True), ("bad", "ReceiptHandleIsInvalid", True),
                          ("range", "InvalidParameterValue", True)])
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=urls["q"]))
        sqs.change_message_visibility(QueueUrl=urls["q"], ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
        third = sqs.receive_message(QueueUrl=urls["q"], VisibilityTimeout=0)["Messages"][0]
        err = self.error(lambda: sqs.change_message_visibility(QueueUrl=urls["q"], ReceiptHandle=third["ReceiptHandle"],
                                                               VisibilityTimeout=5))
        self.assertEqual(err["Error"]["Code"], "AWS.SimpleQueueService.MessageNotInflight")
        stats = stub.stats()
        self.assertEqual(stats["released"], 1)
        self.assertEqual(stats["queues"]["q"]["messages"][first["MessageId"]], {"receives": 3, "deleted": False,
                                                                                 "visible": True})
        self.assertEqual((stats["queues"]["q"]["visible"], stats["queues"]["q"]["inFlight"]), (1, 0))

    def test_deletes_stale_and_invalid_handles_record_and_batch_checks(self):
        stub, sqs, urls = self.start()
        sqs.send_message_batch(QueueUrl=urls["q"], Entries=[{"Id": str(i), "MessageBody": "m%d" % i} for i in range(3)])
        got = sqs.receive_message(QueueUrl=urls["q"], MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        self.assertEqual(len(got), 3)
        latest = self.receive_all(sqs, urls["q"], VisibilityTimeout=300)
        answer = sqs.delete_message_batch(QueueUrl=urls["q"], Entries=[
            {"Id": "stale", "ReceiptHandle": got[0]["ReceiptHandle"]},
            {"Id": "ok", "ReceiptHandle": latest[1]["ReceiptHandle"]},
            {"Id": "bad", "ReceiptHandle": "not-a-handle"}])
        self.assertEqual(answer["Successful"], [{"Id": "stale"}, {"Id": "ok"}])
        self.assertEqual([(f["Id"], f["Code"]) for f in answer["Failed"]], [("bad", "ReceiptHandleIsInvalid")])
        sqs.delete_message(QueueUrl=urls["q"], ReceiptHandle=latest[2]["ReceiptHandle"])
        sqs.delete_message(QueueUrl=urls["q"], ReceiptHandle=latest[2]["ReceiptHandle"])  # already gone: succeeds
        err = self.error(lambda: sqs.delete_message(QueueUrl=urls["q"], ReceiptHandle="junk"))
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("ReceiptHandleIsInvalid", 400))
        stats = stub.stats()
        ids = [m["MessageId"] for m in latest]
        self.assertEqual(stats["deletedIds"], [ids[1], ids[2]])
        self.assertEqual(stats["staleDeletes"], 1)
        self.assertEqual(stats["queues"]["q"]["deleted"], 2)
        self.assertEqual(stats["queues"]["q"]["messages"][ids[0]]["deleted"], False)
        self.assertEqual(stub.recorded(), [ids[1], ids[2]])
        for entries, code in (([], "AWS.SimpleQueueService.EmptyBatchRequest"),
                              ([{"Id": str(i), "ReceiptHandle": "h"} for i in range(11)],
                               "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
                              ([{"Id": "x", "ReceiptHandle": "h"}] * 2, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"),
                              ([{"Id": "a b", "ReceiptHandle": "h"}], "AWS.SimpleQueueService.InvalidBatchEntryId")):
            status, headers, body = stub.request("POST", "/", json.dumps({"QueueUrl": urls["q"], "Entries": entries}).encode(),
                                                 {"X-Amz-Target": "AmazonSQS.DeleteMessageBatch"})
            self.assertEqual((status, headers["x-amzn-query-error"]), (400, code + ";Sender"))
            self.assertTrue(json.loads(body)["__type"].startswith("com.amazonaws.sqs#"))

    def test_unknown_queue_parameters_out_of_range_and_unknown_operation(self):
        stub, sqs, urls = self.start()
        err = self.error(lambda: sqs.get_queue_url(QueueName="nope"))
        self.assertEqual(err["Error"]["Code"], "AWS.SimpleQueueService.NonExistentQueue")
        err = self.error(lambda: sqs.receive_message(QueueUrl=urls["q"].replace("/q", "/other")))
        self.assertEqual(err["Error"]["Code"], "AWS.SimpleQueueService.NonExistentQueue")
        for kwargs in ({"MaxNumberOfMessages": 11}, {"MaxNumberOfMessages": 0}, {"VisibilityTimeout": 43201},
                       {"WaitTimeSeconds": 21}):
            err = self.error(lambda: sqs.receive_message(QueueUrl=urls["q"], **kwargs))
            self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("InvalidParameterValue", 400))
        status, headers, body = stub.request("POST", "/", b"{}", {"X-Amz-Target": "AmazonSQS.PurgeQueue"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["__type"], "com.amazonaws.sqs#UnknownOperationException")
        err = self.error(lambda: sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=["Bogus"]))
        self.assertEqual(err["Error"]["Code"], "InvalidAttributeName")

    def test_long_poll_returns_early_or_after_the_wait(self):
        stub, sqs, urls = self.start()
        began = time.monotonic()
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=urls["q"], WaitTimeSeconds=1))
        self.assertGreaterEqual(time.monotonic() - began, 0.95)
        other = client(stub)
        sender = threading.Timer(0.4, lambda: other.send_message(QueueUrl=urls["q"], MessageBody="late"))
        sender.start()
        self.addCleanup(sender.cancel)
        began = time.monotonic()
        got = sqs.receive_message(QueueUrl=urls["q"], WaitTimeSeconds=10).get("Messages", [])
        self.assertEqual([m["Body"] for m in got], ["late"])
        self.assertLess(time.monotonic() - began, 3)

    def test_redrive_policy_moves_a_message_after_max_receives(self):
        stub, sqs, urls = self.start("--redrive-policy", "q=dlq:2", queues=("q", "dlq"))
        policy = sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=["RedrivePolicy"])["Attributes"]
        self.assertEqual(json.loads(policy["RedrivePolicy"]),
                         {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 2})
        sent = sqs.send_message(QueueUrl=urls["q"], MessageBody="poison")["MessageId"]
        for _ in range(2):
            self.assertEqual(len(sqs.receive_message(QueueUrl=urls["q"], VisibilityTimeout=0)["Messages"]), 1)
        self.assertNotIn("Messages", sqs.receive_message(QueueUrl=urls["q"]))
        moved = sqs.receive_message(QueueUrl=urls["dlq"], AttributeNames=["All"])["Messages"]
        self.assertEqual([m["MessageId"] for m in moved], [sent])
        self.assertEqual(moved[0]["Attributes"]["ApproximateReceiveCount"], "3")
        stats = stub.stats()
        self.assertEqual(stats["movedByRedrive"], 1)
        self.assertEqual(stats["queues"]["q"]["visible"] + stats["queues"]["q"]["inFlight"], 0)

    def test_bad_arguments_and_rules_refuse_to_start(self):
        for args, faults in ((("--queue", "q", "--redrive-policy", "q=missing:2"), None),
                             (("--queue", "q", "--seed-file", "other=" + DUMP), None),
                             (("--queue", "q"), [{"entry_error": "X", "api": "receive"}]),
                             (("--queue", "q"), [{"redeliver": 0}]),
                             (("--queue", "q"), [{"call_error": "X", "api": "nope"}])):
            with self.assertRaises(RuntimeError):
                StubProcess(STUB, *args, faults=faults)

    # -- faults ---------------------------------------------------------

    def test_call_error_with_status_header_and_after(self):
        stub, sqs, urls = self.start(faults=[
            {"call_error": "RequestThrottled", "api": "receive", "after": 1, "times": 1},
            {"call_error": "InternalError", "api": "attributes", "first": 1}])
        sqs.receive_message(QueueUrl=urls["q"])
        err = self.error(lambda: sqs.receive_message(QueueUrl=urls["q"]))
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]), ("RequestThrottled", 400))
        sqs.receive_message(QueueUrl=urls["q"])
        err = self.error(lambda: sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=["All"]))
        self.assertEqual((err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"], err["Error"]["Type"]),
                         ("InternalError", 500, "Receiver"))
        sqs.get_queue_attributes(QueueUrl=urls["q"], AttributeNames=["All"])
        stats = stub.stats()
        self.assertEqual([f["fired"] for f in stats["faultsFired"]], [1, 1])
        self.assertEqual(stats["statuses"], {"200": 3, "400": 1, "500": 1})

    def test_entry_error_by_message_id_and_attempt_leaves_the_message(self):
        stub, sqs, urls = self.start("--seed-file", "q=" + DUMP, faults=[
            {"entry_error": "ReceiptHandleIsInvalid", "api": "visibility", "message_id": dump_messages()[1]["MessageId"]},
            {"entry_error": "InternalError", "api": "delete", "attempts": [1], "index": 0}])
        got = self.receive_all(sqs, urls["q"], VisibilityTimeout=300)
        answer = sqs.change_message_visibility_batch(QueueUrl=urls["q"], Entries=[
            {"Id": "e%d" % i, "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(got)])
        self.assertEqual([f["Id"] for f in answer["Failed"]], ["e1"])
        self.assertEqual(len(answer["Successful"]), len(got) - 1)
        self.assertEqual(stub.stats()["queues"]["q"]["inFlight"], 1)  # the failed entry's message was not released
        got = self.receive_all(sqs, urls["q"], VisibilityTimeout=300)
        entries = [{"Id": "d%d" % i, "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        first = sqs.delete_message_batch(QueueUrl=urls["q"], Entries=entries)
        self.assertEqual([(f["Id"], f["Code"], f["Message"]) for f in first["Failed"]], [("d0", "InternalError", "We encountered an internal error. Please try again.")])
        again = sqs.delete_message_batch(QueueUrl=urls["q"], Entries=entries[:1])
        self.assertEqual((again["Successful"], again["Failed"]), ([{"Id": "d0"}], []))
        stats = stub.stats()
        self.assertEqual([(r["digest"], r["attempt"], r["api"]) for r in stats["rejected"]],
                         [(dump_messages()[1]["MessageId"], 1, "visibility"), (got[0]["MessageId"], 1, "delete")])
        self.assertEqual(stats["deletedIds"], [m["MessageId"] for m in got[1:]] + [got[0]["MessageId"]])
        self.assertEqual(sorted(stub.recorded()), sorted(m["MessageId"] for m in got))

    def test_redeliver_returns_messages_already_in_flight(self):
        stub, sqs, urls = self.start(faults=[{"redeliver": 2, "api": "receive", "calls": [2]}])
        ids = [sqs.send_message(QueueUrl=urls["q"], MessageBody=str(i))["MessageId"] for i in range(3)]
        first = sqs.receive_message(QueueUrl=urls["q"], MaxNumberOfMessages=2, VisibilityTimeout=300)["Messages"]
        second = sqs.receive_message(QueueUrl=urls["q"], MaxNumberOfMessages=10, VisibilityTimeout=300,
                                     AttributeNames=["ApproximateReceiveCount"])["Messages"]
        self.assertEqual([m["MessageId"] for m in first], ids[:2])
        self.assertEqual([m["MessageId"] for m in second], ids[:2] + ids[2:])
        self.assertEqual([m["Attributes"]["ApproximateReceiveCount"] for m in second], ["2", "2", "1"])
        self.assertNotEqual(second[0]["ReceiptHandle"], first[0]["ReceiptHandle"])
        # The older handle no longer deletes: deleting with it succeeds and the message stays.
        sqs.delete_message(QueueUrl=urls["q"], ReceiptHandle=first[0]["ReceiptHandle"])
        stats = stub.stats()
        self.assertEqual((stats["redelivered"], stats["staleDeletes"], stats["deletedIds"]), (2, 1, []))
        self.assertEqual(stats["faultsFired"][0]["fired"], 1)

    def test_delay_and_cut_after_the_call_was_processed(self):
        stub, sqs, urls = self.start(faults=[{"delay_ms": 600, "api": "geturl"},
                                             {"cut_after_bytes": 0, "api": "delete", "first": 1, "cut_mode": "reset"}])
        began = time.monotonic()
        sqs.get_queue_url(QueueName="q")
        self.assertGreaterEqual(time.monotonic() - began, 0.55)
        message_id = sqs.send_message(QueueUrl=urls["q"], MessageBody="x")["MessageId"]
        handle = sqs.receive_message(QueueUrl=urls["q"])["Messages"][0]["ReceiptHandle"]
        with self.assertRaises((ConnectionClosedError, EndpointConnectionError, ReadTimeoutError, ConnectionError)):
            sqs.delete_message_batch(QueueUrl=urls["q"], Entries=[{"Id": "a", "ReceiptHandle": handle}])
        # Deleted and recorded although the answer never came.
        self.assertEqual(stub.recorded(), [message_id])
        stats = stub.stats("?brief=1")
        self.assertEqual(stats["deletedIds"], [message_id])
        self.assertNotIn("log", stats)
        self.assertNotIn("messages", stats["queues"]["q"])
        with urllib.request.urlopen(urllib.request.Request(stub.url + "/__stats", method="DELETE")) as r:
            self.assertEqual(r.status, 204)
        self.assertEqual(stub.stats()["requests"], 0)


if __name__ == "__main__":
    unittest.main()
