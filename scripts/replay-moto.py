#!/usr/bin/env python3
"""Replays deadletter backfill files through boto3 against a local moto server on 127.0.0.1.

  python3 scripts/replay-moto.py firehose OUT_DIR EXPECTED_PAYLOADS.ndjson
      every Records[].Data of OUT_DIR/firehose-*.json is put with put_record_batch into a Firehose stream
      (moto delivers it to S3); the S3 objects must hold exactly the expected payloads, in order.
  python3 scripts/replay-moto.py eventbridge OUT_DIR COUNT
      every entries file is sent with put_events; all COUNT events must be accepted.

EXPECTED_PAYLOADS.ndjson: one JSON string per line, the base64 of each payload in order.
Installs moto[server] with pip when missing; exits 77 with a message only if that fails (the tests then fail).
"""
import base64, glob, json, os, socket, subprocess, sys, time


def ensure_moto():
    try:
        import boto3, moto  # noqa: F401
        import flask  # noqa: F401  (moto's server needs it)
        return
    except ImportError:
        pass
    try:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "moto[server]", "boto3"])
    except Exception as e:  # pip missing or no registry
        print("SKIP: cannot install moto[server] with pip (%s)" % e)
        sys.exit(77)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, "http://127.0.0.1:%d" % port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("moto server did not start")


def client(name, url):
    import boto3
    return boto3.client(name, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def all_keys(s3):
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="replay"):
        keys.update(o["Key"] for o in page.get("Contents", []))
    return keys


def replay_firehose(url, out, expected_path):
    expected = [base64.b64decode(json.loads(line)) for line in open(expected_path) if line.strip()]
    s3, firehose = client("s3", url), client("firehose", url)
    s3.create_bucket(Bucket="replay")
    files = sorted(glob.glob(os.path.join(out, "firehose-*.json")))
    stream = None
    sent = 0
    seen = set()
    delivered = b""
    for path in files:
        batch = json.load(open(path))
        if stream is None:
            stream = batch["DeliveryStreamName"]
            firehose.create_delivery_stream(
                DeliveryStreamName=stream,
                ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/r", "BucketARN": "arn:aws:s3:::replay"})
        assert batch["DeliveryStreamName"] == stream
        records = [{"Data": base64.b64decode(r["Data"], validate=True)} for r in batch["Records"]]
        assert 1 <= len(records) <= 500, "%s: %d records" % (path, len(records))
        assert sum(len(r["Data"]) for r in records) <= 4 * 1024 * 1024, path
        reply = firehose.put_record_batch(DeliveryStreamName=stream, Records=records)
        assert reply["FailedPutCount"] == 0, reply
        sent += len(records)
        # moto delivers each call to S3 at once; read what this call added, so order is kept.
        for key in sorted(all_keys(s3) - seen):
            delivered += s3.get_object(Bucket="replay", Key=key)["Body"].read()
            seen.add(key)
    want = b"".join(expected)
    assert sent == len(expected), "sent %d records, expected %d" % (sent, len(expected))
    assert delivered == want, "delivered %d bytes, expected %d" % (len(delivered), len(want))
    print("firehose: %d files, %d records, %d bytes delivered intact" % (len(files), sent, len(delivered)))


def replay_eventbridge(url, out, count):
    events = client("events", url)
    buses = set()
    accepted = 0
    files = sorted(glob.glob(os.path.join(out, "eventbridge-*.json")))
    for path in files:
        entries = json.load(open(path))
        assert 1 <= len(entries) <= 10, "%s: %d entries" % (path, len(entries))
        for e in entries:
            bus = e.get("EventBusName")
            if bus and bus != "default" and bus not in buses:
                events.create_event_bus(Name=bus)
                buses.add(bus)
        reply = events.put_events(Entries=entries)
        assert reply["FailedEntryCount"] == 0, reply
        accepted += len(reply["Entries"])
    assert accepted == int(count), "accepted %d events, expected %s" % (accepted, count)
    print("eventbridge: %d files, %d events accepted" % (len(files), accepted))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("firehose", "eventbridge"):
        sys.exit(__doc__)
    ensure_moto()
    proc, url = start_server()
    try:
        if sys.argv[1] == "firehose":
            replay_firehose(url, sys.argv[2], sys.argv[3])
        else:
            replay_eventbridge(url, sys.argv[2], sys.argv[3])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
