"""Self-test of s3-stub.py with boto3 as the independent client (path-style, endpoint_url on 127.0.0.1).

    cd scripts/stubs && python3 -m unittest test_s3_stub
"""

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import time
import unittest
import urllib.request

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from stubkit import StubProcess

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "s3-stub.py")
BUCKET = "bench"
TOKEN_A = "FQoGZXIvYXdzEXAMPLE-token-A/+="
TOKEN_B = "FQoGZXIvYXdzEXAMPLE-token-B/+="


class Stub(StubProcess):
    """s3-stub.py on a free port; stopped by stop() (tests register it as a cleanup)."""

    def __init__(self, root, *args, faults=None):
        super().__init__(STUB, "--root", root, "--bucket", BUCKET, *args, faults=faults, prefix="s3-stub-faults-")


def client(stub, region="us-east-1", token=TOKEN_A, attempts=1, unsigned=False):
    config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard", "total_max_attempts": attempts},
                    signature_version=botocore.UNSIGNED if unsigned else None)
    return boto3.client("s3", endpoint_url=stub.url, region_name=region, config=config,
                        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        aws_session_token=token)


class StubTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="s3-stub-tree-")
        self.addCleanup(shutil.rmtree, self.root)
        self.files = {}
        names = ["splunk-failed/2024/03/05/%02d/stream-1-2024-03-05-%02d-00-00-%d.gz" % (h, h, i)
                 for h in (0, 1, 13) for i in range(5)]
        names += [".hidden", "a/.dot", "a/b", "a+b/c d", "café/é.txt", "z<&>.txt", "plain.txt"]
        for i, name in enumerate(names):
            data = gzip.compress(("line %d\n" % i).encode() * (50 + i), mtime=0) if name.endswith(".gz") \
                else ("content of %s\n" % name).encode()
            path = os.path.join(self.root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            self.files[name] = data
        self.big = os.urandom(300_000)
        with open(os.path.join(self.root, "big.bin"), "wb") as f:
            f.write(self.big)
        self.files["big.bin"] = self.big

    def start(self, *args, faults=None):
        stub = Stub(self.root, *args, faults=faults)
        self.addCleanup(stub.stop)
        return stub

    def etag(self, name):
        return '"%s"' % hashlib.md5(self.files[name]).hexdigest()

    # -- listing --------------------------------------------------------

    def test_list_paginates_in_utf8_order_with_markers_and_escaping(self):
        stub = self.start("--page-size", "7", "--marker", "splunk-failed/2024/")
        s3 = client(stub)
        keys, sizes = [], {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for o in page.get("Contents", []):
                keys.append(o["Key"])
                sizes[o["Key"]] = (o["Size"], o["ETag"])
        expected = sorted(list(self.files) + ["splunk-failed/2024/"], key=lambda k: k.encode())
        self.assertEqual(keys, expected)
        self.assertEqual(sizes["splunk-failed/2024/"][0], 0)
        self.assertEqual(sizes["big.bin"], (len(self.big), self.etag("big.bin")))
        calls = stub.stats()["listCalls"]
        self.assertEqual(len(calls), -(-len(expected) // 7))
        self.assertEqual([c["keyCount"] for c in calls[:-1]], [7] * (len(calls) - 1))
        self.assertEqual([c["continuation"] for c in calls], [False] + [True] * (len(calls) - 1))

    def test_raw_xml_escapes_keys_without_url_encoding(self):
        stub = self.start()
        with urllib.request.urlopen(stub.url + "/bench?list-type=2&prefix=z") as r:
            body = r.read().decode()
        self.assertIn("<Key>z&lt;&amp;&gt;.txt</Key>", body)
        self.assertIn("<KeyCount>1</KeyCount>", body)

    def test_list_delimiter_prefix_start_after(self):
        stub = self.start("--page-size", "1")
        s3 = client(stub)
        prefixes = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="splunk-failed/2024/03/05/",
                                                                 Delimiter="/"):
            prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            self.assertNotIn("Contents", page)
        self.assertEqual(prefixes, ["splunk-failed/2024/03/05/%s/" % h for h in ("00", "01", "13")])
        one_page = client(self.start()).list_objects_v2(Bucket=BUCKET, Prefix="splunk-failed/2024/03/", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in one_page["CommonPrefixes"]], ["splunk-failed/2024/03/05/"])
        self.assertEqual(one_page["KeyCount"], 1)
        page = s3.list_objects_v2(Bucket=BUCKET, Prefix="splunk-failed/", StartAfter="splunk-failed/2024/03/05/13/",
                                  MaxKeys=100)
        self.assertEqual(len(page["Contents"]), 1)  # --page-size caps max-keys
        self.assertTrue(page["IsTruncated"])
        self.assertEqual(page["Contents"][0]["Key"], "splunk-failed/2024/03/05/13/stream-1-2024-03-05-13-00-00-0.gz")
        calls = stub.stats()["listCalls"]
        self.assertEqual(calls[-1]["startAfter"], "splunk-failed/2024/03/05/13/")
        self.assertEqual(calls[0], {"prefix": "splunk-failed/2024/03/05/", "delimiter": "/", "startAfter": "",
                                    "continuation": False, "maxKeys": 1, "keyCount": 1, "isTruncated": True})

    def test_unknown_bucket_and_key(self):
        stub = self.start()
        s3 = client(stub)
        with self.assertRaises(ClientError) as e:
            s3.list_objects_v2(Bucket="other")
        self.assertEqual(e.exception.response["Error"]["Code"], "NoSuchBucket")
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket=BUCKET, Key="missing")
        self.assertEqual(e.exception.response["Error"]["Code"], "NoSuchKey")
        self.assertEqual(s3.head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"],
                         "us-east-1")

    # -- objects --------------------------------------------------------

    def test_get_whole_ranged_and_odd_keys(self):
        stub = self.start()
        s3 = client(stub)
        for name in ("café/é.txt", "a+b/c d", "z<&>.txt", ".hidden"):
            got = s3.get_object(Bucket=BUCKET, Key=name)
            self.assertEqual(got["Body"].read(), self.files[name])
            self.assertEqual(got["ETag"], self.etag(name))
        got = s3.get_object(Bucket=BUCKET, Key="big.bin", Range="bytes=1000-")
        self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(got["ContentRange"], "bytes 1000-%d/%d" % (len(self.big) - 1, len(self.big)))
        self.assertEqual(got["Body"].read(), self.big[1000:])
        self.assertEqual(stub.stats()["bytesServed"]["big.bin"], len(self.big) - 1000)

    def test_if_match(self):
        stub = self.start()
        s3 = client(stub)
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket=BUCKET, Key="big.bin", IfMatch='"0123"')
        self.assertEqual(e.exception.response["Error"]["Code"], "PreconditionFailed")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 412)
        got = s3.get_object(Bucket=BUCKET, Key="big.bin", IfMatch=self.etag("big.bin"), Range="bytes=5-")
        self.assertEqual(got["Body"].read(), self.big[5:])

    def test_delay_ms_before_every_object_get(self):
        stub = self.start("--delay-ms", "300")
        s3 = client(stub)
        t0 = time.monotonic()
        s3.list_objects_v2(Bucket=BUCKET)
        self.assertLess(time.monotonic() - t0, 0.25)
        t0 = time.monotonic()
        s3.get_object(Bucket=BUCKET, Key="plain.txt")["Body"].read()
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)

    # -- faults ---------------------------------------------------------

    def test_slowdown_and_internal_error_are_retried_by_boto3(self):
        stub = self.start(faults=[{"kind": "get", "key": "big.bin", "status": 503, "code": "SlowDown", "times": 1},
                                  {"kind": "list", "status": 500, "code": "InternalError", "times": 1}])
        s3 = client(stub, attempts=3)
        self.assertEqual(s3.get_object(Bucket=BUCKET, Key="big.bin")["Body"].read(), self.big)
        self.assertIn("Contents", s3.list_objects_v2(Bucket=BUCKET))
        stats = stub.stats()
        self.assertEqual([f["fired"] for f in stats["faultsFired"]], [1, 1])
        self.assertEqual(stats["requests"]["get"], 2)
        self.assertEqual(stats["requests"]["list"], 2)
        self.assertEqual(stats["bytesServed"]["big.bin"], len(self.big))
        with self.assertRaises(ClientError) as e:  # times exhausted: the next plain.txt GET is fine, so fail explicitly
            client(stub, attempts=1).get_object(Bucket=BUCKET, Key="missing")
        self.assertEqual(e.exception.response["Error"]["Code"], "NoSuchKey")

    def test_slowdown_seen_without_retries(self):
        stub = self.start(faults=[{"method": "GET", "key": "*.txt", "after": 1, "status": 503, "code": "SlowDown"}])
        s3 = client(stub, attempts=1)
        s3.get_object(Bucket=BUCKET, Key="plain.txt")["Body"].read()  # "after": 1 lets the first through
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket=BUCKET, Key="plain.txt")
        self.assertEqual(e.exception.response["Error"]["Code"], "SlowDown")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 503)
        s3.get_object(Bucket=BUCKET, Key="big.bin", Range="bytes=299999-")["Body"].read()  # glob does not match
        self.assertEqual(stub.stats()["faultsFired"][0]["fired"], 1)

    def check_cut_then_resume(self, mode):
        stub = self.start(faults=[{"key": "big.bin", "cut_after_bytes": 100_000, "cut_mode": mode, "times": 1}])
        s3 = client(stub)
        got = s3.get_object(Bucket=BUCKET, Key="big.bin")
        self.assertEqual(got["ContentLength"], len(self.big))  # headers promise the whole object
        received = bytearray()
        with self.assertRaises(Exception):
            for chunk in iter(lambda: got["Body"].read(8192), b""):
                received += chunk
        if mode == "close":
            self.assertEqual(len(received), 100_000)
        else:  # a reset discards what the client's kernel had not handed over yet
            self.assertLessEqual(len(received), 100_000)
        rest = s3.get_object(Bucket=BUCKET, Key="big.bin", Range="bytes=%d-" % len(received), IfMatch=got["ETag"])
        self.assertEqual(bytes(received) + rest["Body"].read(), self.big)
        stats = stub.stats()
        # nothing served twice, but what a reset lost in flight
        self.assertEqual(stats["bytesServed"]["big.bin"], len(self.big) + 100_000 - len(received))
        self.assertEqual([e.get("cut") for e in stats["log"]], [100_000, None])

    def test_cut_after_bytes_close(self):
        self.check_cut_then_resume("close")

    def test_cut_after_bytes_reset(self):
        self.check_cut_then_resume("reset")

    def test_delay_first_byte_combines_with_later_rules(self):
        stub = self.start(faults=[{"kind": "get", "delay_first_byte_ms": 400, "times": 1},
                                  {"kind": "get", "status": 500, "code": "InternalError", "times": 1}])
        s3 = client(stub)
        t0 = time.monotonic()
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket=BUCKET, Key="plain.txt")
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)
        self.assertEqual(e.exception.response["Error"]["Code"], "InternalError")
        t0 = time.monotonic()
        s3.get_object(Bucket=BUCKET, Key="plain.txt")["Body"].read()
        self.assertLess(time.monotonic() - t0, 0.35)

    def test_expired_token_after_requests(self):
        stub = self.start(faults=[{"expired_token_after_requests": 2}])
        old = client(stub, token=TOKEN_A)
        for _ in range(3):  # requests 1-3: the token was first seen at 1, 3 - 1 = 2 is not more than 2
            old.get_object(Bucket=BUCKET, Key="plain.txt")["Body"].read()
        with self.assertRaises(ClientError) as e:
            old.get_object(Bucket=BUCKET, Key="plain.txt")
        self.assertEqual(e.exception.response["Error"]["Code"], "ExpiredToken")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        client(stub, token=TOKEN_B).get_object(Bucket=BUCKET, Key="plain.txt")["Body"].read()  # renewed
        client(stub, token=None).get_object(Bucket=BUCKET, Key="plain.txt")["Body"].read()  # no token, no fault
        with urllib.request.urlopen(stub.url + "/__stats") as r:
            raw = r.read().decode()
        self.assertNotIn("EXAMPLE-token", raw)
        self.assertNotIn("wJalrXUtnFEMI", raw)
        stats = json.loads(raw)
        self.assertEqual(stats["auth"]["tokenHashes"],
                         [hashlib.sha256(t.encode()).hexdigest()[:12] for t in (TOKEN_A, TOKEN_B)])
        self.assertEqual(stats["auth"]["withAuthorization"], 6)
        # The key id (an identifier, never the secret) that signed each request.
        self.assertEqual(stats["auth"]["accessKeyIds"], {"AKIDEXAMPLE": 6})
        self.assertEqual(stats["faultsFired"][0]["fired"], 1)

    def test_access_denied_and_unsigned_requests(self):
        stub = self.start(faults=[{"kind": "list", "prefix": "secret/*", "access_denied": True}])
        s3 = client(stub, unsigned=True)
        with self.assertRaises(ClientError) as e:
            s3.list_objects_v2(Bucket=BUCKET, Prefix="secret/x")
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDenied")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 403)
        s3.list_objects_v2(Bucket=BUCKET, Prefix="a/")
        stats = stub.stats()
        self.assertEqual(stats["auth"], {"withAuthorization": 0, "withoutAuthorization": 2, "tokenHashes": [],
                                         "signingRegions": {}, "accessKeyIds": {}})

    def test_redirect_region(self):
        stub = self.start(faults=[{"redirect_region": "eu-west-1"}])
        raw = client(stub, region="us-east-1")
        try:
            raw.list_objects_v2(Bucket=BUCKET)
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "PermanentRedirect")
            self.assertEqual(e.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"], "eu-west-1")
        client(stub, region="eu-west-1").list_objects_v2(Bucket=BUCKET)
        client(stub, unsigned=True).list_objects_v2(Bucket=BUCKET)
        log = stub.stats()["log"]
        # boto3 follows the redirect itself (one extra eu-west-1 request) when its version does
        self.assertEqual([(e["region"], e["status"]) for e in log if e["region"] != "eu-west-1"],
                         [("us-east-1", 301), (None, 200)])
        self.assertEqual({e["status"] for e in log if e["region"] == "eu-west-1"}, {200})

    def test_replace_after_makes_if_match_fail(self):
        name = "splunk-failed/2024/03/05/01/stream-1-2024-03-05-01-00-00-3.gz"
        size = len(self.files[name])
        stub = self.start("--replace-after", name, "20",
                          faults=[{"key": name, "cut_after_bytes": 20, "times": 1}])
        s3 = client(stub)
        got = s3.get_object(Bucket=BUCKET, Key=name)
        with self.assertRaises(Exception):
            got["Body"].read()
        with self.assertRaises(ClientError) as e:
            s3.get_object(Bucket=BUCKET, Key=name, Range="bytes=20-", IfMatch=got["ETag"])
        self.assertEqual(e.exception.response["Error"]["Code"], "PreconditionFailed")
        fresh = s3.get_object(Bucket=BUCKET, Key=name)
        body = fresh["Body"].read()
        self.assertNotEqual(fresh["ETag"], got["ETag"])
        self.assertEqual(len(body), size + 20)  # an empty gzip member appended: same records, new bytes
        self.assertEqual(gzip.decompress(body), gzip.decompress(self.files[name]))
        replaced = stub.stats()["replaced"][name]
        self.assertEqual((replaced["oldETag"], replaced["newETag"]), (got["ETag"], fresh["ETag"]))

    def test_bad_fault_file_is_refused(self):
        with self.assertRaises(RuntimeError):
            Stub(self.root, faults=[{"status": 503, "access_denied": True}])

    def test_many_concurrent_keep_alive_connections(self):
        import concurrent.futures
        stub = self.start("--delay-ms", "30")
        s3 = boto3.client("s3", endpoint_url=stub.url, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, max_pool_connections=100,
                                        signature_version=botocore.UNSIGNED))
        names = [n for n in self.files if n.endswith(".gz")] * 20
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(100) as pool:
            bodies = list(pool.map(lambda n: s3.get_object(Bucket=BUCKET, Key=n)["Body"].read(), names))
        elapsed = time.monotonic() - t0
        self.assertEqual(bodies, [self.files[n] for n in names])
        self.assertLess(elapsed, len(names) * 0.03 / 4)  # served concurrently, not one after another
        stats = stub.stats()
        self.assertEqual(stats["requests"]["get"], len(names))


if __name__ == "__main__":
    unittest.main()
