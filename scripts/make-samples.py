#!/usr/bin/env python3
"""Regenerate samples/: small, realistic Amazon Data Firehose failure objects.

    python3 scripts/make-samples.py [--out samples]

Deterministic: fixed seed, fixed UUIDs, gzip mtime=0.  Rewrites samples/bucket/,
samples/mixed/ and docs/SAMPLES.md (everything else under samples/ is left
alone).  Python 3.11 standard library only.

Layout
  samples/bucket/   an error bucket as `aws s3 sync s3://acme-firehose-errors samples/bucket`
                    would leave it: every failure folder, clean data (no malformed lines)
  samples/mixed/    a processing-failed object with malformed lines, blank lines and a
                    record whose rawData is not base64
  docs/SAMPLES.md      per-file counts (records / malformed / blank / lines / payload types)

Field spellings and example values follow shared/docs/formats.md (real records and
AWS doc examples).  Counting rules are the ones in scripts/gen-corpus.py.
"""

import argparse
import base64
import datetime as dt
import gzip
import json
import os
import random
import shutil
import uuid

RNG = random.Random(20240305)
DOC_SPLUNK_RAW = ("MiAyNTE2MjAyNzIyMDkgZW5pLTA1ZjMyMmQ1IDIxOC45Mi4xODguMjE0IDE3Mi4xNi4xLjE2NyAyNTIzMyAxNDMzIDYgMSA0MCAx"
                  "NTA2MDM0NzM0IDE1MDYwMzQ3OTQgUkVKRUNUIE9LCg==")
ACCT = "123456789012"


def u():
    return str(uuid.UUID(int=RNG.getrandbits(128), version=4))


def digits(n):
    return "%0*d" % (n, RNG.randrange(10 ** n))


def ms(s):
    """'2024-03-05T14:02:11.123' (UTC) -> epoch ms."""
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.timezone.utc)
    return int(round(d.timestamp() * 1000))


def iso(m):
    return dt.datetime.fromtimestamp(m / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (m % 1000)


def b64(b):
    return base64.b64encode(b).decode("ascii")


def gz(b):
    return gzip.compress(b, 6, mtime=0)


# ---------------------------------------------------------------------------
# Payloads: (rawData string, info)


def p_json(obj, nl=False, sep=(",", ":")):
    s = json.dumps(obj, ensure_ascii=False, separators=sep) + ("\n" if nl else "")
    b = s.encode()
    return b64(b), {"type": "json", "bytes": len(b)}


def p_text(s, note=None):
    b = s.encode()
    info = {"type": "text", "bytes": len(b)}
    if note:
        info["note"] = note
    return b64(b), info


def p_ndjson(objs, note):
    """Several JSON objects, one per line (e.g. HEC events): typed json (a sequence of JSON values)."""
    s = "".join(json.dumps(o, separators=(",", ":")) + "\n" for o in objs)
    b = s.encode()
    return b64(b), {"type": "json", "bytes": len(b), "note": note}


def p_json_sequence(s, note):
    b = s.encode()
    return b64(b), {"type": "json", "bytes": len(b), "note": note}


def p_binary(b, note=None):
    info = {"type": "binary", "bytes": len(b)}
    if note:
        info["note"] = note
    return b64(b), info


def p_invalid(s):
    return s, {"type": "invalid-base64", "bytes": 0}


def lambda_events(t, req):
    """A Lambda invocation's log lines, in order."""
    stamp = iso(t + 40)
    return [
        "START RequestId: %s Version: $LATEST\n" % req,
        "%s\t%s\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\",\"errorMessage\":\"Cannot read properties of undefined (reading 'userId')\"}\n" % (stamp, req),
        "END RequestId: %s\n" % req,
        "REPORT RequestId: %s\tDuration: 812.44 ms\tBilled Duration: 813 ms\tMemory Size: 256 MB\tMax Memory Used: 97 MB\t\n" % req,
    ]


def p_cwl(group, stream, t0, messages):
    events = []
    for i, m in enumerate(messages):
        events.append({"id": digits(56), "timestamp": t0 + 37 * i, "message": m})
    doc = {"messageType": "DATA_MESSAGE", "owner": ACCT, "logGroup": group, "logStream": stream,
           "subscriptionFilters": ["cw-to-firehose"], "logEvents": events}
    b = gz(json.dumps(doc, separators=(",", ":")).encode())
    return b64(b), {"type": "cloudwatch-logs", "bytes": len(b), "events": len(events), "logGroup": group}


def p_cwl_control(t):
    doc = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
           "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": t,
                                                     "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}
    b = gz(json.dumps(doc, separators=(",", ":")).encode())
    return b64(b), {"type": "cloudwatch-logs", "bytes": len(b), "events": 0, "control": True, "logGroup": "(none)"}


# ---------------------------------------------------------------------------
# File model


class F:
    """One sample object.  items: ('rec', dict, info) | ('blank', text) | ('bad', text, reason) | ('doc', text, info)."""

    def __init__(self, tree, key, framing="ndjson", compression=None, final_newline=True, note="", kind=None):
        self.tree, self.key, self.framing, self.compression = tree, key, framing, compression
        self.kind = kind or KIND_BY_FOLDER[key.split("/")[0]]
        self.final_newline, self.note, self.items = final_newline, note, []

    def rec(self, d, info):
        self.items.append(("rec", d, info))

    def blank(self, text=""):
        self.items.append(("blank", text))

    def bad(self, text, reason):
        self.items.append(("bad", text, reason))

    def build(self):
        if self.framing == "doc":  # a manifest, written verbatim
            data = self.items[0][1].encode()
        elif self.framing == "b2b":
            data = "".join(json.dumps(d, separators=(",", ":")) for _, d, _ in self.items).encode()
        else:
            lines = []
            for it in self.items:
                lines.append(json.dumps(it[1], separators=(",", ":")) if it[0] == "rec" else it[1])
            if self.framing == "crlf-bom":
                s = "\ufeff" + "\r\n".join(lines) + ("\r\n" if self.final_newline else "")
            else:
                s = "\n".join(lines) + ("\n" if self.final_newline else "")
            data = s.encode()
        self.data = data
        if self.compression == "gzip":
            blob = gz(data)
        elif self.compression == "gzip2":  # two members, split after the line in self.split
            cut = 0
            for _ in range(self.split):
                cut = data.index(b"\n", cut) + 1
            blob = gz(data[:cut]) + gz(data[cut:])
        else:
            blob = data
        self.blob = blob
        return blob

    def stats(self):
        recs = [it for it in self.items if it[0] in ("rec", "doc")]
        st = {
            "records": len(recs),
            "malformed": sum(1 for it in self.items if it[0] == "bad"),
            "blank": sum(1 for it in self.items if it[0] == "blank"),
            "lines": self.data.count(b"\n") + (0 if self.data.endswith(b"\n") or not self.data else 1),
            "bytes": len(self.blob),
            "payloadBytes": sum(it[2].get("bytes", 0) for it in recs),
            "undecodable": sum(1 for it in recs if it[2].get("type") == "invalid-base64"),
            "logEvents": sum(it[2].get("events", 0) for it in recs),
            "control": sum(1 for it in recs if it[2].get("control")),
        }
        types, codes = {}, {}
        for it in recs:
            t = it[2].get("type")
            if t:
                types[t] = types.get(t, 0) + 1
            d = it[1] if it[0] == "rec" else {}
            c = d.get("errorCode", d.get("ErrorCode", d.get("lastErrorCode", "(none)"))) if it[0] == "rec" else "-"
            codes[c] = codes.get(c, 0) + 1
        st["types"], st["codes"] = types, codes
        st["reasons"] = [it[2] for it in self.items if it[0] == "bad"]
        st["notes"] = sorted({it[2]["note"] for it in recs if it[2].get("note")})
        arr = [it[1]["arrivalTimestamp"] for it in recs if it[0] == "rec" and "arrivalTimestamp" in it[1]]
        st["arrival"] = (iso(min(arr)), iso(max(arr))) if arr else None
        return st


KIND_BY_FOLDER = {
    "processing-failed": "processing-failed", "format-conversion-failed": "format-conversion-failed",
    "errors": "redshift-manifest", "AmazonOpenSearchService-failed": "opensearch",
    "AmazonOpenSearchService_failed": "opensearch", "elasticsearch-failed": "opensearch",
    "splunk-failed": "splunk", "http-endpoint-failed": "http-endpoint", "snowflake-failed": "snowflake",
    "iceberg-failed": "iceberg", "decompression-failed": "decompression-failed",
}


def key(prefix, ts_ms, stream, ver, uid, ext=""):
    d = dt.datetime.fromtimestamp(ts_ms / 1000, dt.timezone.utc)
    v = "-%d" % ver if ver is not None else ""
    return "%s%s/%s%s-%s-%s%s" % (prefix, d.strftime("%Y/%m/%d/%H"), stream, v, d.strftime("%Y-%m-%d-%H-%M-%S"), uid, ext)


# ---------------------------------------------------------------------------
# The samples


def build_all():
    files = []

    # --- processing-failed: CloudWatch Logs payloads (the real key from formats.md) -------------
    arn = "arn:aws:lambda:eu-west-2:104046402197:function:ho-it-sec-test-cw2splunk-transformation-lambda:$LATEST"
    t0 = 1741088912364  # 2025-03-04T11:48:32.364Z, the real record's arrivalTimestamp
    f = F("bucket", "processing-failed/2025/03/04/11/ho-it-sec-test-fh-cw2splunk-9-2025-03-04-11-48-32-c7cc019b-af51-412d-b641-b3b44ceb3d87",
          note="plain NDJSON, no extension (the real key quoted in formats.md); CloudWatch Logs payloads")
    groups = [("/aws/lambda/payments-worker", "2025/03/04/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
              ("/aws/lambda/payments-worker", "2025/03/04/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
              ("/ecs/checkout-service", "ecs/checkout/8f14e45fceea167a5a36dedd4bea2543")]
    arrivals = [t0, t0 + 211, t0 + 1840, t0 + 2207]
    for i, ((g, s), n) in enumerate(zip(groups, (2, 3, 2))):
        if g.startswith("/aws/lambda"):
            msgs = lambda_events(arrivals[i] - 5000, u())[:n]
        else:
            msgs = [json.dumps({"level": "error", "msg": "card declined", "orderId": "o-%05d" % RNG.randrange(99999), "ms": 412 + j})
                    for j in range(n)]
        raw, info = p_cwl(g, s, arrivals[i] - 5000, msgs)
        f.rec({"rawData": raw, "errorCode": "Lambda.FunctionError",
               "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
               "attemptsMade": 4, "arrivalTimestamp": arrivals[i], "attemptEndingTimestamp": 1741089007666, "lambdaARN": arn}, info)
    raw, info = p_cwl_control(arrivals[3] - 3000)
    f.rec({"rawData": raw, "errorCode": "Lambda.ProcessingFailedStatus", "errorMessage": "ProcessingFailed status set for record",
           "attemptsMade": 1, "arrivalTimestamp": arrivals[3], "attemptEndingTimestamp": arrivals[3] + 3130, "lambdaARN": arn}, info)
    files.append(f)

    # --- processing-failed: JSON payloads, gzip single member (real record shape) ---------------
    arn2 = "arn:aws:lambda:us-east-1:036973774136:function:test-gravity-events-transform"
    t0 = 1767226448282  # 2026-01-01T00:14:08.282Z
    f = F("bucket", key("processing-failed/", t0, "gravity-events", 2, u(), ".gz"), compression="gzip",
          note="gzip (one member), .gz; JSON payloads; one record in the documented key order with `lambdaArn`")
    for i, (ev, pid) in enumerate([("appointmentPatched", "p-1001"), ("appointmentPatched", "p-1002"),
                                    ("appointmentCancelled", "p-1003"), ("appointmentPatched", "p-1004")]):
        t = t0 + i * 977
        raw, info = p_json({"eventData": {"eventName": ev, "appointmentId": pid, "patientId": "pt-%d" % (77 + i),
                                          "changes": {"status": "confirmed", "slot": "2026-01-02T09:30:00Z"}}}, nl=(i % 2 == 1))
        f.rec({"rawData": raw, "errorCode": "Lambda.ProcessingFailedStatus", "errorMessage": "ProcessingFailed status set for record",
               "attemptsMade": 1, "arrivalTimestamp": t, "attemptEndingTimestamp": t + 2844, "lambdaARN": arn2}, info)
    t = t0 + 5120
    raw, info = p_json({"eventData": {"eventName": "appointmentPatched", "appointmentId": "p-1005", "note": "café visit"}})
    f.rec({"attemptsMade": 3, "arrivalTimestamp": t, "errorCode": "Lambda.FunctionError",
           "errorMessage": "The Lambda function was successfully invoked but it returned an error result.",
           "attemptEndingTimestamp": t + 61003, "rawData": raw, "lambdaArn": arn2}, info)
    files.append(f)

    # --- processing-failed: two concatenated gzip members ----------------------------------------
    arn3 = "arn:aws:lambda:us-east-1:123456789012:function:orders-transform"
    t0 = ms("2024-03-05T14:02:11.408")
    f = F("bucket", key("processing-failed/", t0, "orders-transform", 7, u(), ".gz"), compression="gzip2",
          note="gzip made of TWO concatenated members (split after line 3)")
    f.split = 3
    specs = [
        ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record", p_json({"orderId": "o-88121", "status": 200, "user": {"id": "u123"}, "total": 41.5})),
        ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record", p_json({"orderId": "o-88122", "status": "OK", "user": {"id": "u124"}}, nl=True)),
        ("Lambda.InvokeLimitExceeded", "The Lambda concurrent execution limit is exceeded. Increase the concurrent execution limit.", p_text("order o-88123 accepted at café Zürich (legacy text feed)\n")),
        ("Lambda.JsonProcessingException", "There was an error parsing returned records from the Lambda function. Ensure that the returned records follow the status model required by Firehose.", p_json({"orderId": "o-88124", "status": 500})),
        ("Lambda.JsonProcessingException", "There was an error parsing returned records from the Lambda function. Ensure that the returned records follow the status model required by Firehose.", p_binary(bytes([0x00, 0xff, 0xfe, 0x10, 0x80, 0x00, 0x41, 0x42, 0xc3, 0x28]))),
        ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record", ("", {"type": "empty", "bytes": 0})),
    ]
    for i, (c, m, (raw, info)) in enumerate(specs):
        t = t0 + i * 1311
        f.rec({"rawData": raw, "errorCode": c, "errorMessage": m, "attemptsMade": 1 + i % 3, "arrivalTimestamp": t,
               "attemptEndingTimestamp": t + 4100, "lambdaARN": arn3}, info)
    files.append(f)

    # --- format-conversion-failed: lastErrorCode, plain, extensionless ---------------------------
    t0 = ms("2024-03-05T09:12:40.051")
    f = F("bucket", key("format-conversion-failed/", t0, "clickstream-parquet", 2, u()),
          note="plain NDJSON, extensionless (format conversion forces UNCOMPRESSED)")
    table = {"catalogId": ACCT, "databaseName": "analytics", "tableName": "clickstream", "region": "us-east-1",
             "versionId": "0", "catalogArn": "arn:aws:glue:us-east-1:%s:catalog" % ACCT}
    fc = [
        ("DataFormatConversion.ParseError", "Encountered malformed JSON. Unexpected character ('h' (code 104)): expected a valid value (number, String, array, object, 'true', 'false' or 'null')\n at [Source: com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream@4f2b1c9a; line: 1, column: 2]",
         p_text("hello from the mobile app v2.3\n"), 0),
        ("DataFormatConversion.MalformedData", "The value 'N/A' of field 'latency_ms' could not be converted to column type bigint",
         p_json({"sessionId": "s-9f1c", "page": "/checkout", "latency_ms": "N/A", "ts": "2024-03-05T09:12:39Z"}, nl=True), 0),
        ("DataFormatConversion.MalformedData", "The value 'N/A' of field 'latency_ms' could not be converted to column type bigint",
         p_json({"sessionId": "s-9f1d", "page": "/cart", "latency_ms": "N/A", "ts": "2024-03-05T09:12:41Z"}, nl=True), None),
        ("DataFormatConversion.ParseError", "Encountered malformed JSON. Illegal character ((CTRL-CHAR, code 0)): only regular white space (\\r, \\n, \\t) is allowed between tokens\n at [Source: com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream@1a2b3c4d; line: 1, column: 2]",
         p_binary(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00\xff\xd8\xff\xe0"), 2),
    ]
    for i, (c, m, (raw, info), sub) in enumerate(fc):
        t = t0 + i * 2207
        f.rec({"attemptsMade": 1, "arrivalTimestamp": t, "lastErrorCode": c, "lastErrorMessage": m,
               "attemptEndingTimestamp": t + 913, "rawData": raw, "sequenceNumber": "4964" + digits(52),
               "subSequenceNumber": sub, "dataCatalogTable": table}, info)
    files.append(f)

    # --- format-conversion-failed: CRLF + BOM, older ErrorCode/ErrorMessage spelling -------------
    t0 = ms("2024-03-06T17:40:02.990")
    f = F("bucket", key("format-conversion-failed/", t0, "billing-orc", 11, u()), framing="crlf-bom",
          note="CRLF line endings and a UTF-8 BOM; older `ErrorCode`/`ErrorMessage` spelling")
    table2 = dict(table, tableName="billing_lines", databaseName="finance")
    for i in range(3):
        t = t0 + i * 15003
        raw, info = p_json({"invoice": "INV-%d" % (2024030600 + i), "amount": ["12.50", "N/A", "7,99"][i], "currency": "EUR"})
        f.rec({"attemptsMade": 1, "arrivalTimestamp": t, "ErrorCode": "DataFormatConversion.MalformedData",
               "ErrorMessage": "The value '%s' of field 'amount' could not be converted to column type decimal(10,2)" % ["12.50", "N/A", "7,99"][i],
               "attemptEndingTimestamp": t + 700, "rawData": raw, "sequenceNumber": "4964" + digits(52),
               "subSequenceNumber": i, "dataCatalogTable": table2}, info)
    files.append(f)

    # --- Redshift COPY manifests (errors/manifests/, no stream version in the name) --------------
    f = F("bucket", "errors/manifests/2019/09/26/13/collect-redshift-2019-09-26-13-21-49-56371982-2375-4b28-8d79-45f01952667e",
          framing="doc", note="Redshift COPY manifest on one line (the real key from formats.md)")
    man = {"entries": [{"url": "s3://acme-redshift-staging/collect/2019/09/26/13/collect-redshift-1-2019-09-26-13-%s-%s.gz" % (mmss, u()), "mandatory": True}
                       for mmss in ("05-11", "10-12", "15-14")]}
    f.items.append(("doc", json.dumps(man, separators=(",", ":")) + "\n", {"entries": 3}))
    files.append(f)
    f = F("bucket", "errors/manifests/2024/03/05/16/orders-redshift-2024-03-05-16-20-03-%s" % u(), framing="doc",
          note="Redshift COPY manifest, pretty-printed over several lines (one record)")
    man = {"entries": [{"url": "s3://acme-redshift-staging/orders/2024/03/05/16/orders-redshift-4-2024-03-05-16-%s-%s.gz" % (mmss, u()), "mandatory": True}
                       for mmss in ("05-00", "10-01")]}
    f.items.append(("doc", json.dumps(man, indent=2) + "\n", {"entries": 2}))
    files.append(f)

    # --- OpenSearch (es* keys), gzip -------------------------------------------------------------
    def mapper(field, typ, doc_id, val):
        return json.dumps({"type": "mapper_parsing_exception",
                           "reason": "failed to parse field [%s] of type [%s] in document with id '%s'. Preview of field's value: '%s'" % (field, typ, doc_id, val),
                           "caused_by": {"type": "illegal_argument_exception", "reason": "For input string: \"%s\"" % val}},
                          separators=(",", ":"))

    t0 = ms("2024-03-05T14:31:07.220")
    f = F("bucket", key("AmazonOpenSearchService-failed/", t0, "search-ingest", 4, u(), ".gz"), compression="gzip",
          note="gzip; OpenSearch Service es* keys; mapper_parsing_exception messages")
    for i, (field, val) in enumerate([("status", "OK"), ("status", "n/a"), ("latency_ms", "slow"), ("status", "OK")]):
        t = t0 + i * 733
        did = "a81f%028x" % RNG.getrandbits(112)
        raw, info = p_json({"@timestamp": "2024-03-05T14:31:0%dZ" % i, "service": "search", field: val, "user": {"id": "u%d" % (300 + i)}})
        f.rec({"attemptsMade": 1, "arrivalTimestamp": t, "errorCode": "400", "errorMessage": mapper(field, "long", did, val),
               "attemptEndingTimestamp": t + 1204, "esDocumentId": did, "esIndexName": "app-logs-2024-03-05", "esTypeName": "",
               "rawData": raw}, info)
    files.append(f)

    # --- OpenSearch, underscore folder spelling, plain -------------------------------------------
    t0 = ms("2024-03-05T15:02:44.001")
    f = F("bucket", key("AmazonOpenSearchService_failed/", t0, "audit-to-opensearch", 1, u()),
          note="plain; the developer guide's `AmazonOpenSearchService_failed/` spelling")
    for i in range(3):
        t = t0 + i * 402
        did = "4961" + digits(52) + ".0"
        if i < 2:
            c = "429"
            m = json.dumps({"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation [coordinating_and_primary_bytes=52428800, replica_bytes=0, all_bytes=52428800, coordinating_operation_bytes=5242880, max_coordinating_and_primary_bytes=53687091]"}, separators=(",", ":"))
        else:
            c = "400"
            m = mapper("detail.requestParameters.maxResults", "long", did, "all")
        raw, info = p_json({"eventSource": "s3.amazonaws.com", "eventName": "ListObjects", "awsRegion": "us-east-1",
                            "detail": {"requestParameters": {"maxResults": "all" if i == 2 else 100}}})
        f.rec({"attemptsMade": 5 if c == "429" else 1, "arrivalTimestamp": t, "errorCode": c, "errorMessage": m,
               "attemptEndingTimestamp": t + 300000, "esDocumentId": did, "esIndexName": "audit-2024-w10", "esTypeName": "_doc",
               "rawData": raw}, info)
    files.append(f)

    # --- legacy elasticsearch-failed, objects back to back ---------------------------------------
    t0 = ms("2019-06-03T08:05:44.517")
    f = F("bucket", key("elasticsearch-failed/", t0, "legacy-es", 2, u()), framing="b2b", final_newline=False,
          note="plain, objects back to back with no newline at all: 1 line, 3 records")
    for i in range(3):
        t = t0 + i * 90
        did = "%032x" % RNG.getrandbits(128)
        raw, info = p_json({"timestamp": "2019-06-03T08:05:4%dZ" % i, "status": ["OK", "FAIL", "OK"][i], "bytes": 1200 + i})
        f.rec({"attemptsMade": 1, "arrivalTimestamp": t, "errorCode": "400", "errorMessage": mapper("status", "long", did, ["OK", "FAIL", "OK"][i]),
               "attemptEndingTimestamp": t + 812, "esDocumentId": did, "esIndexName": "weblogs-2019-06-03", "esTypeName": "log",
               "rawData": raw}, info)
    files.append(f)

    # --- OpenSearch Serverless (os* keys) ---------------------------------------------------------
    t0 = ms("2024-03-06T10:44:19.875")
    f = F("bucket", key("AmazonOpenSearchService-failed/", t0, "serverless-logs", 1, u()),
          note="plain; OpenSearch Serverless `osDocumentId`/`osIndexName`, no type name", kind="opensearch-serverless")
    for i in range(2):
        t = t0 + i * 512
        did = "%032x" % RNG.getrandbits(128)
        raw, info = p_json({"ts": "2024-03-06T10:44:1%dZ" % i, "level": "error", "status": "timeout"})
        f.rec({"attemptsMade": 2, "arrivalTimestamp": t, "errorCode": "400", "errorMessage": mapper("status", "integer", did, "timeout"),
               "attemptEndingTimestamp": t + 2020, "osDocumentId": did, "osIndexName": "app-errors", "rawData": raw}, info)
    files.append(f)

    # --- Splunk: the doc example + HEC events, plain ----------------------------------------------
    ack = ("Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. Despite the "
           "acknowledgement timeout, it's possible the data was indexed successfully in Splunk. Amazon Data Firehose "
           "backs up in Amazon S3 data for which the acknowledgement timeout expired.")
    t0 = 1506035354675  # 2017-09-21T23:09:14.675Z, the doc example
    f = F("bucket", key("splunk-failed/", t0, "vpcflow-to-splunk", 1, u()),
          note="plain; first line is the AWS doc example (attemptEndingTimestamp in year 2401), then HEC event payloads")
    f.rec({"attemptsMade": 0, "arrivalTimestamp": 1506035354675, "errorCode": "Splunk.AckTimeout", "errorMessage": ack,
           "attemptEndingTimestamp": 13626284715507,
           "rawData": DOC_SPLUNK_RAW, "EventId": "49577193928114147339600778471082492393164139877200035842.0"},
          {"type": "text", "bytes": len(base64.b64decode(DOC_SPLUNK_RAW)), "note": "doc example rawData is a VPC flow log line"})
    hec = lambda i, sev: {"time": 1506035350 + i, "host": "ip-10-0-1-%d" % (17 + i), "source": "aws:cloudwatchlogs",
                          "sourcetype": "aws:cloudwatchlogs:vpcflow", "index": "main",
                          "event": "2 251620272209 eni-05f322d5 10.0.1.%d 172.16.1.167 25233 443 6 1 40 1506034734 1506034794 %s OK" % (20 + i, sev)}
    t = t0 + 4410
    raw, info = p_json(hec(0, "ACCEPT"), nl=True)
    f.rec({"attemptsMade": 0, "arrivalTimestamp": t, "errorCode": "Splunk.AckTimeout", "errorMessage": ack,
           "attemptEndingTimestamp": t + 180000, "rawData": raw, "EventId": "49577193928114147339600778471082492393164139877200035843.0"}, info)
    t = t0 + 9150
    raw, info = p_ndjson([hec(1, "REJECT"), hec(2, "ACCEPT"), hec(3, "REJECT")],
                         note="rawData is 3 HEC events, one per line (NDJSON, not a single JSON value)")
    f.rec({"attemptsMade": 0, "arrivalTimestamp": t, "errorCode": "Splunk.AckTimeout", "errorMessage": ack,
           "attemptEndingTimestamp": t + 180000, "rawData": raw, "EventId": "49577193928114147339600778471082492393164139877200035844.1"}, info)
    files.append(f)

    # --- Splunk: IndexerBusy / ConnectionTimeout, gzip, subsequenceNumber -------------------------
    t0 = ms("2024-03-05T18:22:05.600")
    f = F("bucket", key("splunk-failed/", t0, "app-hec", 2, u(), ".gz"), compression="gzip",
          note="gzip; `subsequenceNumber` instead of EventId (as NHS Digital's alerting code expects)")
    sp = [
        ("Splunk.IndexerBusy", "The Splunk indexer is busy and could not accept the request (HTTP 503 Server is busy). Retries exhausted.", 0),
        ("Splunk.IndexerBusy", "The Splunk indexer is busy and could not accept the request (HTTP 503 Server is busy). Retries exhausted.", 1),
        ("Splunk.ConnectionTimeout", "The connection to Splunk timed out. This might be a transient error and the request will be retried. Firehose backs up the data to Amazon S3 if all retries fail.", 0),
    ]
    for i, (c, m, sub) in enumerate(sp):
        t = t0 + i * 3001
        raw, info = p_json({"time": 1709662925 + i, "host": "web-01.example.internal", "sourcetype": "_json", "index": "app",
                            "event": {"level": "warn", "msg": "upstream slow", "ms": 950 + i}}, nl=True)
        f.rec({"attemptsMade": 3, "arrivalTimestamp": t, "errorCode": c, "errorMessage": m, "attemptEndingTimestamp": t + 60500,
               "rawData": raw, "subsequenceNumber": sub}, info)
    files.append(f)

    # --- HTTP endpoint: the doc example made valid JSON, plain -----------------------------------
    t0 = 1594265943615  # 2020-07-09T03:39:03.615Z, the doc example
    f = F("bucket", key("http-endpoint-failed/", t0, "partner-http", 1, u()),
          note="plain; the doc example with its errorMessage made valid JSON (embedded JSON escaped)")
    f.rec({"attemptsMade": 5, "arrivalTimestamp": 1594265943615, "errorCode": "HttpEndpoint.DestinationException",
           "errorMessage": 'Received the following response from the endpoint destination. {"requestId": "109777ac-8f9b-4082-8e8d-b4f12b5fc17b", "timestamp": 1594266081268, "errorMessage": "Unauthorized"}',
           "attemptEndingTimestamp": 1594266081318, "rawData": "c2FtcGxlIHJhdyBkYXRh", "subsequenceNumber": 0,
           "dataId": "49607357361271740811418664280693044274821622880012337186.0"},
          {"type": "text", "bytes": len(base64.b64decode("c2FtcGxlIHJhdyBkYXRh")), "note": "doc example rawData is 'sample raw data'"})
    t = t0 + 120
    raw, info = p_json({"service": "checkout", "level": "info", "msg": "order placed"}, nl=True)
    f.rec({"attemptsMade": 5, "arrivalTimestamp": t, "errorCode": "HttpEndpoint.DestinationException",
           "errorMessage": 'Received the following response from the endpoint destination. {"requestId": "109777ac-8f9b-4082-8e8d-b4f12b5fc17b", "timestamp": 1594266081268, "errorMessage": "Unauthorized"}',
           "attemptEndingTimestamp": 1594266081318, "rawData": raw, "subsequenceNumber": 1,
           "dataId": "49607357361271740811418664280693044274821622880012337186.1"}, info)
    files.append(f)

    # --- HTTP endpoint: gzip, status-code form + timeout ------------------------------------------
    t0 = ms("2024-03-05T20:47:31.090")
    f = F("bucket", key("http-endpoint-failed/", t0, "datadog-logs", 6, u(), ".gz"), compression="gzip",
          note="gzip; DestinationException with a status code, RequestTimeout")
    rid = u()
    hs = [
        ("HttpEndpoint.DestinationException", 'The following response was received from the endpoint destination. 500: {"requestId": "%s", "timestamp": 1709671771290, "errorMessage": "Internal Server Error"}' % rid),
        ("HttpEndpoint.DestinationException", 'The following response was received from the endpoint destination. 500: {"requestId": "%s", "timestamp": 1709671771290, "errorMessage": "Internal Server Error"}' % rid),
        ("HttpEndpoint.RequestTimeout", "Firehose could not get a response from the HTTP endpoint within the configured timeout. Data will be retried until the retry duration expires."),
    ]
    for i, (c, m) in enumerate(hs):
        t = t0 + i * 45
        raw, info = p_json({"ddsource": "nodejs", "service": "api", "status": "error", "message": "GET /v1/cart 502 (%d ms)" % (3000 + i)}, nl=True)
        f.rec({"attemptsMade": 5, "arrivalTimestamp": t, "errorCode": c, "errorMessage": m, "attemptEndingTimestamp": t + 7200000,
               "rawData": raw, "subsequenceNumber": i, "dataId": "4964" + digits(52) + ".0"}, info)
    files.append(f)

    # --- Snowflake ---------------------------------------------------------------------------------
    t0 = ms("2024-04-12T15:58:07.114")
    f = F("bucket", key("snowflake-failed/", t0, "events-to-snowflake", 3, u()), final_newline=False,
          note="plain; the last line has no trailing newline")
    sf = [
        ("Snowflake.InvalidColumns", "Snowpipe Streaming does not support columns of type AUTOINCREMENT, IDENTITY, GEO, or columns with a default value or collation",
         p_text("sample raw data", note="the doc example's rawData 'sample raw data'")),
        ("Snowflake.ExtraColumns", "The record contains columns that are not present in the table: [\"sessionId\"]. Column names are case sensitive.",
         p_json({"EVENT_ID": "e-1", "EVENT_TIME": "2024-04-12T15:58:00Z", "sessionId": "s-77"})),
        ("Snowflake.MissingColumns", "The record is missing values for NOT NULL columns: [\"EVENT_TIME\"]",
         p_json({"EVENT_ID": "e-2"})),
        ("Snowflake.InvalidInput", "The input is not a single JSON object. Arrays and scalar values are not supported.",
         p_json_sequence('{"EVENT_ID":"e-3"}{"EVENT_ID":"e-4"}', note="two objects back to back inside rawData: json, but not one JSON value")),
    ]
    for i, (c, m, (raw, info)) in enumerate(sf):
        t = t0 + i * 4807
        f.rec({"attemptsMade": 3, "arrivalTimestamp": t, "errorCode": c, "errorMessage": m,
               "attemptEndingTimestamp": 1712937865543 + i, "rawData": raw}, info)
    files.append(f)

    # --- Iceberg (real key), gzip without an extension ----------------------------------------
    t0 = ms("2025-11-19T22:30:48.033")
    f = F("bucket", "iceberg-failed/2025/11/19/22/meraki-firehose-4-2025-11-19-22-30-48-c0357a0f-495d-4eb6-9383-66b7d9347e15",
          compression="gzip", note="gzip WITHOUT a .gz extension (the real key from formats.md): detect by magic bytes")
    for i in range(3):
        t = t0 + i * 1020
        raw, info = p_json({"networkId": "N_24329156", "deviceserial": "Q2XX-AB%02d" % i, "ts": "2025-11-19T22:30:4%dZ" % i, "rssi": -61 - i})
        f.rec({"attemptsMade": 1, "arrivalTimestamp": t, "errorCode": "Iceberg.MissingColumnWithinRecord",
               "errorMessage": "Column 'deviceSerial' is missing within the record. Top-level JSON keys must match the table columns exactly (case sensitive).",
               "attemptEndingTimestamp": t + 2200, "rawData": raw, "EventId": "4966" + digits(52) + ".0"}, info)
    files.append(f)

    # --- decompression-failed ------------------------------------------------------------------
    t0 = ms("2024-03-05T14:55:00.707")
    f = F("bucket", key("decompression-failed/", t0, "app-logs-cwl", 3, u()),
          note="plain; rawData still compressed: a truncated gzip (starts 1f 8b) and a non-gzip text")
    full = gz(json.dumps({"messageType": "DATA_MESSAGE", "owner": ACCT, "logGroup": "/aws/lambda/orders-api",
                          "logStream": "2024/03/05/[$LATEST]5d9f", "subscriptionFilters": ["cw-to-firehose"],
                          "logEvents": [{"id": digits(56), "timestamp": t0 - 4000, "message": "START RequestId: %s Version: $LATEST\n" % u()}]},
                         separators=(",", ":")).encode())
    trunc = full[:len(full) // 2]
    assert trunc[:2] == b"\x1f\x8b"
    for i, (raw, info) in enumerate([
        p_binary(trunc, note="gzip magic 1f 8b but truncated: not cloudwatch-logs"),
        p_text("plain text where gzip was expected\n"),
    ]):
        t = t0 + i * 250
        f.rec({"attemptsMade": 1, "arrivalTimestamp": t, "errorCode": "Decompression.InvalidInput",
               "errorMessage": "Unable to decompress the record: Unexpected end of ZLIB input stream" if i == 0 else
               "Unable to decompress the record: Not in GZIP format",
               "attemptEndingTimestamp": t + 30, "rawData": raw}, info)
    files.append(f)

    # --- mixed/: malformed lines, blank lines, invalid base64 ----------------------------------
    t0 = ms("2024-03-05T14:05:00.012")
    f = F("mixed", key("processing-failed/", t0, "orders-transform", 7, u()),
          note="plain NDJSON with 5 malformed lines, 2 blank lines and one rawData that is not base64")
    arn3 = "arn:aws:lambda:us-east-1:123456789012:function:orders-transform"

    def mrec(i, raw_info, code="Lambda.ProcessingFailedStatus", msg="ProcessingFailed status set for record"):
        raw, info = raw_info
        t = t0 + i * 1500
        return {"rawData": raw, "errorCode": code, "errorMessage": msg, "attemptsMade": 1, "arrivalTimestamp": t,
                "attemptEndingTimestamp": t + 3000, "lambdaARN": arn3}, info

    r1 = mrec(0, p_json({"orderId": "o-9001", "status": 200}))
    f.rec(*r1)
    f.bad("this is not json", "not JSON")
    f.rec(*mrec(1, p_json({"orderId": "o-9002", "status": 404}, nl=True), "Lambda.FunctionError",
                "The Lambda function was successfully invoked but it returned an error result."))
    f.blank("")
    trunc_line = json.dumps(mrec(2, p_json({"orderId": "o-9003", "status": 500}))[0], separators=(",", ":"))
    cut = trunc_line.index('"errorMessage":"') + len('"errorMessage":"ProcessingFa')
    f.bad(trunc_line[:cut], "truncated JSON object (cut inside the errorMessage string)")
    f.bad("[1,2,3]", "JSON array, not an object")
    f.bad('{"hello":"world"}', "JSON object without any failure field")
    f.rec(*mrec(3, p_invalid("eyJvcmRlcklkIjoibyE!!fQ==")))
    f.blank("   ")
    f.bad("42", "JSON scalar")
    f.rec(*mrec(4, p_text("order o-9005 rejected: café closed\n")))
    files.append(f)
    return files


# ---------------------------------------------------------------------------


def write_expected(path, files):
    out = []
    w = out.append
    w("# samples/: what each file contains (generated by scripts/make-samples.py)\n")
    w("Regenerate with `python3 scripts/make-samples.py`; do not edit by hand.\n")
    w("`samples/firehose/bucket/` is an error bucket as `aws s3 sync` leaves it; `samples/mixed/` holds broken input.")
    w("This file lives outside `samples/` so that `deadletter summarize samples/firehose/` reads only records.\n")
    w("## Counting rules\n")
    w("- Files are decompressed by content (gzip magic `1f 8b`, any number of members), a leading UTF-8 BOM is dropped,")
    w("  and the text is split on `\\n`; a trailing `\\r` belongs to the terminator.")
    w("- **lines** = physical lines: a last line without `\\n` counts; a file ending in `\\n` has no extra empty line.")
    w("- **blank** = a line that is empty or only spaces/`\\r`: neither a record nor malformed.")
    w("- **records** = JSON objects with at least one of `rawData`, `errorCode`, `ErrorCode`, `lastErrorCode`,")
    w("  `errorMessage`; objects back to back on one line are one record each; a Redshift manifest file is one")
    w("  record (kind `redshift-manifest`) even when pretty-printed over several lines.")
    w("- **malformed** = every other non-blank line, 1 per line: not JSON, a JSON object cut off inside a")
    w("  string, a JSON scalar or array (`[1,2,3]` counts 1), an object with no failure field.")
    w("- **payload bytes** = decoded `rawData` bytes (compressed size for CloudWatch Logs payloads);")
    w("  **undecodable** = `rawData` that is not base64 (still a record, 0 payload bytes).")
    w("- **log events** = events of CloudWatch Logs DATA_MESSAGE payloads; CONTROL_MESSAGE payloads count as")
    w("  *control* and carry no events.\n")
    tot = {}
    for tree in ("bucket", "mixed"):
        w("## %s/\n" % tree)
        w("| file | kind | records | malformed | blank | lines | bytes | payload types | errorCode | payload bytes | log events | undecodable | arrival (UTC) |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        kinds = {}
        tt = dict(files=0, records=0, malformed=0, blank=0, lines=0, bytes=0, payloadBytes=0, logEvents=0, undecodable=0, control=0)
        for f in files:
            if f.tree != tree:
                continue
            st = f.stats()
            for k in tt:
                if k == "files":
                    tt[k] += 1
                else:
                    tt[k] += st[k]
            types = ", ".join("%s %d" % kv for kv in sorted(st["types"].items())) or "-"
            codes = ", ".join("%s %d" % kv for kv in sorted(st["codes"].items())) if f.framing != "doc" else "-"
            ev = str(st["logEvents"]) + (" (+%d control)" % st["control"] if st["control"] else "")
            arr = "%s .. %s" % st["arrival"] if st["arrival"] else "-"
            kinds[f.kind] = kinds.get(f.kind, 0) + st["records"]
            w("| `%s` | %s | %d | %d | %d | %d | %d | %s | %s | %d | %s | %d | %s |" % (
                f.key, f.kind, st["records"], st["malformed"], st["blank"], st["lines"], st["bytes"], types, codes,
                st["payloadBytes"], ev, st["undecodable"], arr))
        w("")
        w("**%s/ totals**: %d files, %d records, %d malformed, %d blank lines, %d lines, %d bytes on disk, "
          "%d payload bytes, %d log events, %d control messages, %d undecodable.\n" % (
              tree, tt["files"], tt["records"], tt["malformed"], tt["blank"], tt["lines"], tt["bytes"],
              tt["payloadBytes"], tt["logEvents"], tt["control"], tt["undecodable"]))
        w("Records by kind: %s.\n" % ", ".join("%s %d" % kv for kv in sorted(kinds.items())))
        w("Why, file by file:\n")
        for f in files:
            if f.tree != tree:
                continue
            st = f.stats()
            w("- `%s`: %s." % (f.key, f.note))
            for n in st["notes"]:
                w("  - payload: %s." % n)
            if st["reasons"]:
                ln = 0
                for it in f.items:
                    ln += 1
                    if it[0] == "bad":
                        w("  - line %d malformed: %s (`%s`)." % (ln, it[2], it[1][:48] + ("..." if len(it[1]) > 48 else "")))
                    elif it[0] == "blank":
                        w("  - line %d blank: %r." % (ln, it[1]))
                    elif it[0] == "rec" and it[2]["type"] == "invalid-base64":
                        w("  - line %d record with rawData %r: not base64 -> undecodable." % (ln, it[1]["rawData"]))
            if f.framing == "doc":
                w("  - %d manifest entries." % f.items[0][2]["entries"])
        w("")
        tot[tree] = tt
    w("## Ambiguous payloads (payloadType is the tool's call)\n")
    w("The table gives the type these rules imply: `json` for one or more JSON objects or arrays one after")
    w("another (a document, NDJSON, or values back to back, as HEC events arrive), so the Splunk record carrying")
    w("three HEC events one per line and the Snowflake `InvalidInput` record with two objects back to back are")
    w("`json`; the truncated gzip in `decompression-failed/` starts with `1f 8b` but does not inflate, so it is")
    w("`binary`, not `cloudwatch-logs`.")
    w("The Redshift manifests have no rawData and no payload type.\n")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out))
    return tot


def main():
    ap = argparse.ArgumentParser(description="regenerate samples/")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples", "firehose"))
    args = ap.parse_args()
    out = os.path.normpath(args.out)
    for sub in ("bucket", "mixed"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    files = build_all()
    for f in files:
        blob = f.build()
        p = os.path.join(out, f.tree, f.key)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fh:
            fh.write(blob)
    tot = write_expected(os.path.join(out, "..", "..", "docs", "SAMPLES.md"), files)
    for tree, tt in tot.items():
        print("%s: %d files, %d records, %d malformed, %d blank, %d bytes" % (tree, tt["files"], tt["records"], tt["malformed"], tt["blank"], tt["bytes"]))


if __name__ == "__main__":
    main()
