#!/usr/bin/env python3
"""What `deadletter send` delivered, read back from moto's server with boto3 (an independent client), and
what it should have delivered, read from the backfill directory with Python's json and base64.

    moto-send.py setup-firehose ENDPOINT STREAM BUCKET     a bucket and a delivery stream writing into it
    moto-send.py stored ENDPOINT BUCKET                   SHA-256 of every object Firehose wrote, sorted
    moto-send.py expected-firehose DIR                    SHA-256 of each file's decoded payloads, concatenated
    moto-send.py setup-eventbridge ENDPOINT QUEUE [BUS]   a queue and a rule sending every event to it, on the default
                                                          bus and orders-bus, or only on BUS (created) when given
    moto-send.py received ENDPOINT QUEUE                  source, detail-type and SHA-256 of the detail of every message, sorted
    moto-send.py expected-eventbridge DIR                 the same from the backfill files
Only 127.0.0.1 endpoints."""
import base64
import hashlib
import json
import os
import sys

import boto3


def client(service, endpoint):
    if not endpoint.startswith("http://127.0.0.1:"):
        sys.exit("only a server on 127.0.0.1")
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def setup_eventbridge(endpoint, queue, only=None):
    """A queue and a rule sending every event to it, on the default bus and orders-bus, or only on `only` (created
    unless it is the default bus)."""
    sqs = client("sqs", endpoint)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = client("events", endpoint)
    # The samples name a custom bus too: a rule on each sends everything to the queue.
    buses = ("default", "orders-bus") if only is None else (only,)
    for bus in buses:
        if bus != "default":
            events.create_event_bus(Name=bus)
    for bus in buses:
        events.put_rule(Name="everything", EventBusName=bus, EventPattern=json.dumps({"source": [{"prefix": ""}]}))
        events.put_targets(Rule="everything", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])


def event_line(body):
    """`source detail-type SHA-256(canonical detail)` of an event EventBridge delivered to a queue."""
    event = json.loads(body)
    detail = json.dumps(event["detail"], sort_keys=True, separators=(",", ":"))
    return "%s %s %s" % (event["source"], event["detail-type"], hashlib.sha256(detail.encode()).hexdigest())


def backfill_files(directory):
    manifest = json.load(open(os.path.join(directory, "manifest.json")))
    return [json.load(open(os.path.join(directory, f["name"]))) for f in manifest["files"]]


def main(argv):
    command = argv[1]
    if command == "setup-firehose":
        endpoint, stream, bucket = argv[2:5]
        client("s3", endpoint).create_bucket(Bucket=bucket)
        client("firehose", endpoint).create_delivery_stream(
            DeliveryStreamName=stream,
            ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/firehose",
                                                "BucketARN": "arn:aws:s3:::" + bucket})
    elif command == "stored":
        endpoint, bucket = argv[2:4]
        s3 = client("s3", endpoint)
        digests = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                digests.append(hashlib.sha256(body).hexdigest())
        print("\n".join(sorted(digests)))
    elif command == "expected-firehose":
        digests = []
        for batch in backfill_files(argv[2]):
            data = b"".join(base64.b64decode(record["Data"]) for record in batch["Records"])
            digests.append(hashlib.sha256(data).hexdigest())
        print("\n".join(sorted(digests)))
    elif command == "setup-eventbridge":
        setup_eventbridge(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
    elif command == "received":
        endpoint, queue = argv[2:4]
        sqs = client("sqs", endpoint)
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        seen = []
        while True:
            answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                seen.append(event_line(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        print("\n".join(sorted(seen)))
    elif command == "expected-eventbridge":
        seen = []
        for batch in backfill_files(argv[2]):
            for entry in batch:
                detail = json.dumps(json.loads(entry["Detail"]), sort_keys=True, separators=(",", ":"))
                seen.append("%s %s %s" % (entry["Source"], entry["DetailType"], hashlib.sha256(detail.encode()).hexdigest()))
        print("\n".join(sorted(seen)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
