#!/usr/bin/env python3
"""EventBridge dead-letter queues on moto's server, seeded and read back with boto3 (an independent client), for
`deadletter`'s `sqs://QUEUE` and `redrive` acceptance tests. Only 127.0.0.1 endpoints.

    moto-sqs.py seed ENDPOINT QUEUE DUMP.json [--redrive-to QUEUE2:MAX]
        create QUEUE (with --redrive-to: QUEUE2 too, and a RedrivePolicy on QUEUE to QUEUE2 with maxReceiveCount
        MAX) and send every message of the `aws sqs receive-message` dump (a file may hold several dumps one after
        the other): its Body and MessageAttributes as EventBridge wrote them, a MessageId repeated sent once.
        Prints the number sent.
    moto-sqs.py dump ENDPOINT QUEUE OUT.json
        receive every message once (VisibilityTimeout 300, all attributes, batches of 10 until drained), write them
        as `aws sqs receive-message` prints them ({"Messages": [...]}), then make each visible again
        (ChangeMessageVisibilityBatch 0). Prints the count.
    moto-sqs.py counts ENDPOINT QUEUE        `visible notVisible` (GetQueueAttributes)
    moto-sqs.py bodies ENDPOINT QUEUE        SHA-256 of each message's Body, sorted (messages released after)
    moto-sqs.py events ENDPOINT QUEUE        `source detail-type SHA-256(canonical detail)` of each event a rule
                                             delivered to QUEUE, sorted, as moto-send.py's `received` prints them
                                             (messages released after, not deleted)
    moto-sqs.py expected [--error-code CODE] DUMP.json...
                                             the `events` lines a redrive of these dumps' messages should deliver,
                                             worked out from the dumps alone: each MessageId once, messages with a
                                             RULE_ARN whose body is an event of a source not `aws.*` (and with
                                             --error-code, whose ERROR_CODE is CODE), sorted
    moto-sqs.py setup-rule ENDPOINT QUEUE [BUS]
        QUEUE and a rule on BUS (default "default"; another bus is created) sending every event to it
"""
import base64
import hashlib
import importlib.util
import json
import os
import sys

import stubkit

_spec = importlib.util.spec_from_file_location("moto_send", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                                         "moto-send.py"))
moto_send = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(moto_send)
client = moto_send.client


def queue_url(sqs, queue):
    return sqs.get_queue_url(QueueName=queue)["QueueUrl"]


def batches(items, size=10):
    return [items[i:i + size] for i in range(0, len(items), size)]


def wire_attributes(attributes):
    """A dump's MessageAttributes as boto3 sends them (BinaryValue as bytes, not the CLI's base64)."""
    out = {}
    for name, value in (attributes or {}).items():
        value = {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        if "BinaryValue" in value:
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        out[name] = value
    return out


def seed(endpoint, queue, path, redrive_to=None):
    sqs = client("sqs", endpoint)
    attributes = {}
    if redrive_to:
        target, _, most = redrive_to.rpartition(":")
        target_url = sqs.create_queue(QueueName=target)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=target_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": int(most)})
    url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
    sent = 0
    for group in batches(stubkit.receive_message_dumps(path)):
        entries = []
        for i, m in enumerate(group):
            entry = {"Id": str(i), "MessageBody": m["Body"]}
            if m.get("MessageAttributes"):
                entry["MessageAttributes"] = wire_attributes(m["MessageAttributes"])
            entries.append(entry)
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if answer.get("Failed"):
            sys.exit("send_message_batch failed: %s" % answer["Failed"])
        sent += len(answer["Successful"])
    return sent


def receive_all(sqs, url):
    """Every message once (the latest receipt of each MessageId), received with a long visibility timeout."""
    seen, empty = {}, 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300, WaitTimeSeconds=0,
                                  AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            visible = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            empty += 1
            if visible["Attributes"]["ApproximateNumberOfMessages"] == "0" or empty >= 20:
                return list(seen.values())
            continue
        for m in got:
            if m["MessageId"] in seen:
                seen[m["MessageId"]]["ReceiptHandle"] = m["ReceiptHandle"]
            else:
                seen[m["MessageId"]] = m


def release(sqs, url, messages):
    for group in batches(messages):
        answer = sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(group)])
        if answer.get("Failed"):
            sys.exit("change_message_visibility_batch failed: %s" % answer["Failed"])


def cli_form(message):
    """A message as `aws sqs receive-message` prints it (binary values in base64)."""
    out = dict(message)
    if "MessageAttributes" in out:
        out["MessageAttributes"] = {
            name: {k: (base64.b64encode(v).decode() if isinstance(v, bytes) else v) for k, v in value.items()}
            for name, value in out["MessageAttributes"].items()}
    return out


def read_and_release(endpoint, queue):
    sqs = client("sqs", endpoint)
    url = queue_url(sqs, queue)
    messages = receive_all(sqs, url)
    release(sqs, url, messages)
    return messages


def expected_events(paths, code):
    seen, lines = set(), []
    for path in paths:
        for m in stubkit.receive_message_dumps(path):
            attributes = {k: v.get("StringValue") for k, v in (m.get("MessageAttributes") or {}).items()}
            if m["MessageId"] in seen or "RULE_ARN" not in attributes:
                continue
            seen.add(m["MessageId"])
            if code is not None and attributes.get("ERROR_CODE") != code:
                continue
            try:
                event = json.loads(m["Body"])
            except ValueError:
                continue
            if isinstance(event, dict) and isinstance(event.get("source"), str) and not event["source"].startswith("aws."):
                lines.append(moto_send.event_line(m["Body"]))
    return lines


def main(argv):
    command = argv[1] if len(argv) > 1 else None
    if command == "seed" and len(argv) in (5, 7) and (len(argv) == 5 or argv[5] == "--redrive-to"):
        print(seed(argv[2], argv[3], argv[4], argv[6] if len(argv) == 7 else None))
    elif command == "dump" and len(argv) == 5:
        messages = read_and_release(argv[2], argv[3])
        with open(argv[4], "w", encoding="utf-8") as f:
            json.dump({"Messages": [cli_form(m) for m in messages]}, f, indent=4, ensure_ascii=False)
            f.write("\n")
        print(len(messages))
    elif command == "counts" and len(argv) == 4:
        sqs = client("sqs", argv[2])
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url(sqs, argv[3]), AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        print(attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"])
    elif command == "bodies" and len(argv) == 4:
        lines = sorted(hashlib.sha256(m["Body"].encode("utf-8")).hexdigest() for m in read_and_release(argv[2], argv[3]))
        print("\n".join(lines))
    elif command == "events" and len(argv) == 4:
        print("\n".join(sorted(moto_send.event_line(m["Body"]) for m in read_and_release(argv[2], argv[3]))))
    elif command == "expected" and len(argv) >= 3:
        paths, code = argv[2:], None
        if paths[0] == "--error-code" and len(paths) >= 3:
            code, paths = paths[1], paths[2:]
        print("\n".join(sorted(expected_events(paths, code))))
    elif command == "setup-rule" and len(argv) in (4, 5):
        moto_send.setup_eventbridge(argv[2], argv[3], argv[4] if len(argv) == 5 else "default")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
