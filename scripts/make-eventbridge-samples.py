#!/usr/bin/env python3
"""Writes samples/eventbridge-dlq/: EventBridge events dead-lettered to SQS, in every form deadletter reads.

Counts (worked out by hand, checked by the tests):
  receive-message-2024-03-05.json   aws sqs receive-message output, 3 messages (m1 m2 m3)
  receive-message-dumps.json        two outputs back to back: (m4 m5) then (m5 again, m6) -> 3 records, 1 repeat
  lambda-sqs-batch.ndjson           Lambda-style messages one per line: m7, m8 (no EventBridge attributes)
  single-message.json               one message (m9), its event has no time: arrival from SentTimestamp
  lambda-sqs-event.json             the event a DLQ-handler Lambda gets, {"Records": [...]}: m10, m11
  scheduler-receive-message.json    EventBridge Scheduler's dead-letter messages (no RULE_ARN; SCHEDULE_ARN,
                                    SCHEDULED_TIME, EXECUTION_ID): s1, s2, s3; bodies are the targets' input
  => 14 records, 1 repeat; errorCode: NO_PERMISSIONS 2, THROTTLING 3, TIMEOUT 2, INVALID_JSON 1,
     RESOURCE_NOT_FOUND 2, AWS.Scheduler.InternalServerError 1, ThrottlingException 2, (none) 1
"""
import json, os

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "eventbridge-dlq")
ACCOUNT = "111122223333"


def event(eid, source, detail_type, time, detail, resources=()):
    e = {"version": "0", "id": eid, "detail-type": detail_type, "source": source, "account": ACCOUNT,
         "time": time, "region": "us-west-1", "resources": list(resources), "detail": detail}
    if time is None:
        del e["time"]
    return json.dumps(e, separators=(",", ":"))


def attrs(rule, target, code, message, condition, attempts):
    a = {"RULE_ARN": rule, "TARGET_ARN": target, "ERROR_CODE": code, "ERROR_MESSAGE": message,
         "EXHAUSTED_RETRY_CONDITION": condition, "RETRY_ATTEMPTS": attempts}
    return {k: {"StringValue": v, "DataType": "String"} for k, v in a.items() if v is not None}


def scheduler_attrs(schedule, scheduled_time, execution_id, target, code, message, condition, attempts):
    a = {"SCHEDULE_ARN": schedule, "SCHEDULED_TIME": scheduled_time, "EXECUTION_ID": execution_id, "TARGET_ARN": target,
         "ERROR_CODE": code, "ERROR_MESSAGE": message, "EXHAUSTED_RETRY_CONDITION": condition, "RETRY_ATTEMPTS": attempts}
    return {k: {"StringValue": v, "DataType": "String"} for k, v in a.items() if v is not None}


def message(mid, body, sent, attributes):
    return {"MessageId": mid, "ReceiptHandle": "AQEB" + mid.replace("-", "")[:24], "MD5OfBody": "0" * 32, "Body": body,
            "Attributes": {"SenderId": "AIDAEXAMPLE", "ApproximateFirstReceiveTimestamp": str(sent + 5000),
                           "ApproximateReceiveCount": "1", "SentTimestamp": str(sent)},
            "MD5OfMessageAttributes": "f" * 32, "MessageAttributes": attributes}


def lambda_style(m):
    return {"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m["Attributes"], "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-west-1:%s:eb-dlq" % ACCOUNT, "awsRegion": "us-west-1",
            "messageAttributes": {k: {"stringValue": v["StringValue"], "dataType": "String"} for k, v in m["MessageAttributes"].items()}}


RULE_DEFAULT = "arn:aws:events:us-west-1:%s:rule/ec2-state-to-lambda" % ACCOUNT
RULE_ORDERS = "arn:aws:events:us-west-1:%s:rule/orders-bus/order-created-to-sqs" % ACCOUNT
RULE_SHIPPING = "arn:aws:events:us-west-1:%s:rule/parcel-events" % ACCOUNT
LAMBDA = "arn:aws:lambda:us-west-1:%s:function:ec2-audit" % ACCOUNT
QUEUE_GONE = "arn:aws:sqs:us-west-1:%s:parcels-retired" % ACCOUNT
SCHEDULE_DAILY = "arn:aws:scheduler:us-west-1:%s:schedule/default/daily-report" % ACCOUNT
SCHEDULE_HOURLY = "arn:aws:scheduler:us-west-1:%s:schedule/reports/hourly-report" % ACCOUNT
TARGET_GONE = "arn:aws:sqs:us-west-1:%s:does-not-exist" % ACCOUNT
QUEUE = "arn:aws:sqs:us-west-1:%s:orders-intake" % ACCOUNT
API = "arn:aws:events:us-west-1:%s:api-destination/crm/0f5e" % ACCOUNT

m1 = message("2aeb3510-fe3a-4f5a-ab6a-6906560eaf7e",
             event("6a7e8feb-b491-4cf7-a9f1-bf3703467718", "aws.ec2", "EC2 Instance State-change Notification", "2024-03-05T14:00:01Z",
                   {"instance-id": "i-1234567890abcdef0", "state": "terminated"}, ["arn:aws:ec2:us-west-1:%s:instance/i-1234567890abcdef0" % ACCOUNT]),
             1709647202000, attrs(RULE_DEFAULT, LAMBDA, "NO_PERMISSIONS", "User: arn:aws:sts::111122223333:assumed-role/eb/x is not authorized to perform: lambda:InvokeFunction", None, "0"))
m2 = message("9f1c0a55-0c9e-4a6b-8f43-1d2e3f4a5b6c",
             event("1b2c3d4e-0001-4000-8000-000000000002", "com.example.orders", "OrderCreated", "2024-03-05T14:10:00Z", {"orderId": "o-1001", "total": 42.5}),
             1709647800500, attrs(RULE_ORDERS, QUEUE, "THROTTLING", "Rate exceeded", "MaximumEventAgeInSeconds", "185"))
m3 = message("9f1c0a55-0c9e-4a6b-8f43-1d2e3f4a5b6d",
             event("1b2c3d4e-0001-4000-8000-000000000003", "com.example.orders", "OrderCreated", "2024-03-05T14:20:00Z", {"orderId": "o-1002", "total": 7}),
             1709648400500, attrs(RULE_ORDERS, API, "TIMEOUT", "Timeout calling the API destination", "MaximumRetryAttempts", "3"))
m4 = message("a0000000-0000-4000-8000-000000000004",
             event("1b2c3d4e-0001-4000-8000-000000000004", "com.example.orders", "OrderCreated", "2024-03-05T15:00:00Z", {"orderId": "o-1003"}),
             1709650800100, attrs(RULE_ORDERS, QUEUE, "THROTTLING", "Rate exceeded", "MaximumEventAgeInSeconds", "185"))
m5 = message("a0000000-0000-4000-8000-000000000005",
             event("1b2c3d4e-0001-4000-8000-000000000005", "com.example.orders", "OrderCancelled", "2024-03-05T15:05:00Z", {"orderId": "o-1003"}),
             1709651100100, attrs(RULE_ORDERS, QUEUE, "THROTTLING", "Rate exceeded", "MaximumEventAgeInSeconds", "185"))
m6 = message("a0000000-0000-4000-8000-000000000006",
             event("1b2c3d4e-0001-4000-8000-000000000006", "aws.s3", "Object Created", "2024-03-05T15:10:00Z", {"bucket": {"name": "uploads"}}),
             1709651400100, attrs(RULE_DEFAULT, LAMBDA, "NO_PERMISSIONS", "not authorized", None, "0"))
m7 = message("b0000000-0000-4000-8000-000000000007",
             event("1b2c3d4e-0001-4000-8000-000000000007", "com.example.billing", "InvoiceIssued", "2024-03-05T16:00:00Z", {"invoice": "inv-77", "lines": [1, 2]}),
             1709654400000, attrs(RULE_DEFAULT, API, "TIMEOUT", "Timeout calling the API destination", "MaximumRetryAttempts", "3"))
m8 = message("b0000000-0000-4000-8000-000000000008",
             event("1b2c3d4e-0001-4000-8000-000000000008", "com.example.billing", "InvoicePaid", "2024-03-05T16:05:00Z", {"invoice": "inv-78"}),
             1709654700000, {})
m9 = message("c0000000-0000-4000-8000-000000000009",
             event("1b2c3d4e-0001-4000-8000-000000000009", "com.example.billing", "InvoiceVoided", None, {"invoice": "inv-79"}),
             1709658000000, attrs(RULE_DEFAULT, API, "INVALID_JSON", "The input transformer produced invalid JSON", None, "0"))

# What a DLQ-handler Lambda function receives from the dead-letter queue: the Lambda spelling, in a Records list.
m10 = message("d0000000-0000-4000-8000-00000000000a",
              event("1b2c3d4e-0001-4000-8000-00000000000a", "com.example.shipping", "ParcelShipped", "2024-03-05T17:00:00Z", {"parcel": "p-10"}),
              1709658000500, attrs(RULE_SHIPPING, QUEUE_GONE, "RESOURCE_NOT_FOUND", "Target queue does not exist", None, "0"))
m11 = message("d0000000-0000-4000-8000-00000000000b",
              event("1b2c3d4e-0001-4000-8000-00000000000b", "com.example.shipping", "ParcelDelivered", "2024-03-05T17:05:00Z", {"parcel": "p-11"}),
              1709658300500, attrs(RULE_SHIPPING, QUEUE_GONE, "RESOURCE_NOT_FOUND", "Target queue does not exist", None, "0"))
# EventBridge Scheduler's dead-letter messages, as the Scheduler user guide's receive-message example: no
# RULE_ARN; the body is the target's input, not an EventBridge event.
s1 = message("e0000000-0000-4000-8000-000000000001", "{\"report\":\"daily\"}", 1709600460000,
             scheduler_attrs(SCHEDULE_DAILY, "2024-03-05T01:00:00Z", "5e3c3c8e-1b1a-4e57-9d4b-000000000001", TARGET_GONE,
                             "AWS.Scheduler.InternalServerError", "Unexpected error occurred while processing the request.",
                             "MaximumRetryAttempts", "185"))
s2 = message("e0000000-0000-4000-8000-000000000002", "{\"report\":\"hourly\"}", 1709650860000,
             scheduler_attrs(SCHEDULE_HOURLY, "2024-03-05T15:00:00Z", "5e3c3c8e-1b1a-4e57-9d4b-000000000002", LAMBDA,
                             "ThrottlingException", "Rate exceeded", "MaximumEventAgeInSeconds", "12"))
s3 = message("e0000000-0000-4000-8000-000000000003", "{\"report\":\"hourly\"}", 1709654460000,
             scheduler_attrs(SCHEDULE_HOURLY, "2024-03-05T16:00:00Z", "5e3c3c8e-1b1a-4e57-9d4b-000000000003", LAMBDA,
                             "ThrottlingException", "Rate exceeded", "MaximumEventAgeInSeconds", "12"))

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "receive-message-2024-03-05.json"), "w") as f:
    f.write(json.dumps({"Messages": [m1, m2, m3]}, indent=4) + "\n")
with open(os.path.join(OUT, "receive-message-dumps.json"), "w") as f:
    f.write(json.dumps({"Messages": [m4, m5]}, indent=4) + "\n")
    f.write(json.dumps({"Messages": [m5, m6]}, indent=4) + "\n")
with open(os.path.join(OUT, "lambda-sqs-batch.ndjson"), "w") as f:
    for m in (m7, m8):
        f.write(json.dumps(lambda_style(m), separators=(",", ":")) + "\n")
with open(os.path.join(OUT, "single-message.json"), "w") as f:
    f.write(json.dumps(m9, indent=2) + "\n")
with open(os.path.join(OUT, "lambda-sqs-event.json"), "w") as f:
    f.write(json.dumps({"Records": [lambda_style(m10), lambda_style(m11)]}, indent=4) + "\n")
with open(os.path.join(OUT, "scheduler-receive-message.json"), "w") as f:
    f.write(json.dumps({"Messages": [s1, s2, s3]}, indent=4) + "\n")
print("wrote", OUT)
