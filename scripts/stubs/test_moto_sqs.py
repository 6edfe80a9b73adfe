"""moto-sqs.py against moto's server on 127.0.0.1 (scripts/stubs/moto-server.py), checked with boto3.

    python3 -m unittest discover -s scripts/stubs -p 'test_moto_sqs.py'

moto is required: without it these tests fail (they do not skip), saying how to install it.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

import boto3

from test_sqs_stub import dump_messages

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "moto-sqs.py")
SERVER = os.path.join(HERE, "moto-server.py")
DUMP = os.path.join(HERE, "..", "..", "samples", "eventbridge-dlq", "receive-message-dumps.json")


class MotoSQSTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = subprocess.Popen([sys.executable, SERVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.server.stdout.readline()
        if not line.startswith("PORT "):
            cls.server.wait(30)
            error = cls.server.stderr.read()
            cls.server.stdout.close()
            cls.server.stderr.close()
            raise RuntimeError("moto's server did not start (exit %s); moto is required, not optional: "
                               "python3 -m pip install 'moto[server]' boto3\n%s" % (cls.server.returncode, error))
        cls.endpoint = "http://127.0.0.1:%d" % int(line.split()[1])
        cls.sqs = boto3.client("sqs", endpoint_url=cls.endpoint, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(30)
        cls.server.stdout.close()
        cls.server.stderr.close()

    def run_script(self, *args, ok=True):
        result = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=120)
        if ok:
            self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def test_seed_dump_counts_and_bodies(self):
        expected = dump_messages()
        with open(DUMP) as f:
            self.assertLess(len(expected), f.read().count('"MessageId"'))  # the sample repeats a MessageId
        out = self.run_script("seed", self.endpoint, "dlq-a", DUMP, "--redrive-to", "dlq-a-more:5").stdout
        self.assertEqual(out.strip(), str(len(expected)))
        url = self.sqs.get_queue_url(QueueName="dlq-a")["QueueUrl"]
        policy = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
        self.assertEqual(json.loads(policy), {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq-a-more",
                                              "maxReceiveCount": 5})
        self.assertEqual(self.run_script("counts", self.endpoint, "dlq-a").stdout.split(), [str(len(expected)), "0"])
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "out.json")
            self.assertEqual(self.run_script("dump", self.endpoint, "dlq-a", path).stdout.strip(), str(len(expected)))
            with open(path) as f:
                written = json.load(f)["Messages"]
        self.assertEqual(sorted(m["Body"] for m in written), sorted(m["Body"] for m in expected))
        by_body = {m["Body"]: m for m in expected}
        for m in written:
            self.assertEqual(m["MessageAttributes"], by_body[m["Body"]]["MessageAttributes"])
            self.assertEqual(m["MD5OfBody"], hashlib.md5(m["Body"].encode()).hexdigest())
            self.assertEqual(m["Attributes"]["ApproximateReceiveCount"], "1")
            self.assertIn("ReceiptHandle", m)
        # Released: all visible again, nothing deleted.
        self.assertEqual(self.run_script("counts", self.endpoint, "dlq-a").stdout.split(), [str(len(expected)), "0"])
        bodies = self.run_script("bodies", self.endpoint, "dlq-a").stdout.split()
        self.assertEqual(bodies, sorted(hashlib.sha256(m["Body"].encode()).hexdigest() for m in expected))
        self.assertEqual(self.run_script("counts", self.endpoint, "dlq-a").stdout.split(), [str(len(expected)), "0"])

    def test_setup_rule_and_events_on_the_default_and_a_custom_bus(self):
        events = boto3.client("events", endpoint_url=self.endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        expected = {}
        for queue, bus in (("target-default", None), ("target-custom", "custom-bus")):
            self.run_script("setup-rule", self.endpoint, queue, *([bus] if bus else []))
            entries = [{"Source": "com.example.%s" % queue, "DetailType": "Thing %d" % i,
                        "Detail": json.dumps({"n": i, "caf\u00e9": "\u00e9"}), "EventBusName": bus or "default"}
                       for i in range(3)]
            self.assertEqual(events.put_events(Entries=entries)["FailedEntryCount"], 0)
            expected[queue] = sorted("%s %s %s" % (e["Source"], e["DetailType"], hashlib.sha256(json.dumps(
                json.loads(e["Detail"]), sort_keys=True, separators=(",", ":")).encode()).hexdigest()) for e in entries)
        for queue, lines in expected.items():
            self.assertEqual(self.run_script("events", self.endpoint, queue).stdout.splitlines(), lines)
            self.assertEqual(self.run_script("counts", self.endpoint, queue).stdout.split(), ["3", "0"])

    def test_usage_and_other_addresses_are_refused(self):
        self.assertNotEqual(self.run_script("counts", "http://localhost:1", "q", ok=False).returncode, 0)
        self.assertNotEqual(self.run_script("bogus", ok=False).returncode, 0)
        self.assertNotEqual(self.run_script("seed", self.endpoint, "q", ok=False).returncode, 0)


if __name__ == "__main__":
    unittest.main()
