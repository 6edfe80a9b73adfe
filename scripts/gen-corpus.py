#!/usr/bin/env python3
"""Deterministic corpus generator for deadletter end-to-end tests and benchmarks.

Writes a tree of Amazon Data Firehose failure objects under OUT/corpus/ and the
summary the tool is expected to print under OUT/expected.json.  The expectations
are tallied *while generating* (by construction); nothing is re-parsed.

    python3 scripts/gen-corpus.py --out DIR [--records N] [--seed S]
                                  [--cwl-fraction F] [--bytes-target SIZE] [--force]

--records N        records to generate (default 2000); ignored when --bytes-target is given
--seed S           RNG seed (default 1); same seed + same options => byte-identical output
--cwl-fraction F   approximate fraction of all records whose rawData is a gzip'd
                   CloudWatch Logs subscription payload (default 0.15).  Such
                   payloads appear only in processing-failed/ files.
--bytes-target SZ  keep writing files until this many *uncompressed* bytes were
                   produced (e.g. 500M, 1G; K/M/G are powers of 1024)
--force            delete an existing OUT/corpus first
--fresh-payloads   a new payload for every record instead of one drawn from small pools
                   (pooled payloads repeat within gzip's window and compress far better
                   than a real bucket; the benchmark uses fresh ones)

Python 3.11 standard library only.

Counting rules (what expected.json means)
-----------------------------------------
* Every file is decompressed (gzip, possibly several members) and split on "\\n".
  `lines` counts physical lines: a final line without "\\n" counts, a file ending
  in "\\n" has no extra empty line after it.  A UTF-8 BOM at the start of a file
  is not content.  A trailing "\\r" belongs to the line terminator.
* A line that is empty or only spaces / "\\r" is a blank line (`blankLines`); it is
  neither a record nor malformed.
* A line holding one JSON object with at least one of rawData / errorCode /
  ErrorCode / lastErrorCode / errorMessage is one record.  A line holding several
  such objects back to back (no newline between them) gives one record each;
  those are also tallied in `backToBackRecords`.
* Every other non-blank line counts 1 toward `malformed`: non-JSON text, a JSON
  object cut off inside a string value, a JSON scalar or array (`[1,2,3]` counts
  1, not 3), an object without any failure field.
* payloadType of a record, from its rawData:
    invalid-base64  rawData is not valid base64 (here: contains '!' or '*');
                    counts toward `undecodable`, contributes 0 payloadBytes
    empty           rawData == ""
    cloudwatch-logs decoded bytes are gzip (1f 8b) of a CWL subscription JSON
    json            decoded bytes are UTF-8 whose text (surrounding whitespace
                    trimmed) parses as a JSON object
    text            decoded bytes are valid UTF-8 but not JSON
    binary          decoded bytes are not valid UTF-8 (never start with 1f 8b)
* payloadBytes = sum of len(base64-decoded rawData) (compressed size for CWL).
* logEvents counts events of DATA_MESSAGE payloads only; CONTROL_MESSAGE payloads
  count in `controlMessages` and their logGroup ("") groups as "(none)", like
  every non-CWL record.
* errorCode is errorCode | ErrorCode | lastErrorCode; records with none of them
  group under "(none)".
* kind comes from the folder: processing-failed, format-conversion-failed,
  opensearch (AmazonOpenSearchService-failed, es* keys), splunk, http-endpoint,
  snowflake, iceberg.

Files: 50-500 records each (--max-file-records; fewer only when --records is smaller), keys
<folder>/YYYY/MM/DD/HH/<stream>-<ver>-YYYY-MM-DD-HH-mm-ss-<uuid>[.gz] where the
timestamp is the file's earliest arrival.  Formats: plain NDJSON, gzip (one
member), gzip with 2-3 members split at line boundaries, objects back to back on
a single line (>= 2 records, no newline at all), CRLF + UTF-8 BOM.  Blank lines
may appear in every line-framed format; malformed lines only in LF NDJSON files
(plain or single-member gzip), each followed by "\n" and never last in a file.
The first plain file always carries one of each malformed kind and three blank
lines, so every corpus has some.

expected.json also carries, beyond the contract's totals: blankLines, lines,
controlMessages, backToBackRecords, uncompressedBytes; and the extra sections
payloadBytesByKind, logEventsByLogGroup, fileFormats, malformedByReason, generator.
"""

import argparse
import base64
import datetime as dt
import gzip
import json
import os
import random
import shutil
import sys
import uuid

GENERATOR_VERSION = 1

# ---------------------------------------------------------------------------
# Static vocabulary

FOLDERS = [  # (folder, kind)
    ("processing-failed", "processing-failed"),
    ("format-conversion-failed", "format-conversion-failed"),
    ("AmazonOpenSearchService-failed", "opensearch"),
    ("splunk-failed", "splunk"),
    ("http-endpoint-failed", "http-endpoint"),
    ("snowflake-failed", "snowflake"),
    ("iceberg-failed", "iceberg"),
]

STREAMS = {  # kind -> [(stream name, version)]
    "processing-failed": [("app-logs-cwl", 3), ("orders-transform", 7), ("ho-it-sec-test-fh-cw2splunk", 9)],
    "format-conversion-failed": [("clickstream-parquet", 2), ("billing-orc", 11)],
    "opensearch": [("search-ingest", 4), ("audit-to-opensearch", 1)],
    "splunk": [("vpcflow-to-splunk", 5), ("app-hec", 2)],
    "http-endpoint": [("datadog-logs", 6), ("partner-http", 1)],
    "snowflake": [("events-to-snowflake", 3)],
    "iceberg": [("meraki-firehose", 4), ("lake-iceberg", 2)],
}

FORMATS = ["plain", "gzip", "gzip-multi", "b2b", "crlf-bom"]
FORMAT_WEIGHTS = [30, 30, 15, 10, 15]

BASE_EPOCH_MS = 1709596800000  # 2024-03-05T00:00:00Z
HOURS_SPAN = 72

LOG_GROUPS = [
    ("/aws/lambda/orders-api", "2024/03/05/[$LATEST]5d9f3c1ab2e04f6c9d0e7a8b1c2d3e4f", "lambda"),
    ("/aws/lambda/payments-worker", "2024/03/05/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9", "lambda"),
    ("/ecs/checkout-service", "ecs/checkout/8f14e45fceea167a5a36dedd4bea2543", "app"),
    ("API-Gateway-Execution-Logs_a1b2c3d4e5/prod", "c81e728d9d4c2f636f067f89cc14862c", "apigw"),
    ("vpc-flow-logs/prod", "eni-05f322d5-all", "vpc"),
]

LAMBDA_ARNS = [
    "arn:aws:lambda:us-east-1:123456789012:function:cwl-to-splunk-transform",
    "arn:aws:lambda:eu-west-2:104046402197:function:ho-it-sec-test-cw2splunk-transformation-lambda:$LATEST",
    "arn:aws:lambda:us-east-1:036973774136:function:test-gravity-events-transform",
]

AWS_ACCOUNT = "123456789012"


def jstr(s):
    """JSON-encode a string (ensure_ascii=False keeps UTF-8 readable)."""
    return json.dumps(s, ensure_ascii=False)


# Error codes per kind: (code, message, weight)
ERRORS = {
    "processing-failed": [
        ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record", 60),
        ("Lambda.FunctionError", "The Lambda function was successfully invoked but it returned an error result.", 20),
        ("Lambda.InvokeLimitExceeded", "The Lambda concurrent execution limit is exceeded. Increase the concurrent execution limit.", 6),
        ("Lambda.JsonProcessingException", "There was an error parsing returned records from the Lambda function. Ensure that the returned records follow the status model required by Firehose.", 6),
        ("Lambda.MissingRecordId", "One or more record Ids were not returned. Ensure that the Lambda function returns all received record Ids.", 4),
        ("Lambda.DuplicatedRecordId", "Multiple records were returned with the same record Id. Ensure that the Lambda function returns unique record Ids for each record.", 4),
    ],
    "format-conversion-failed": {
        "parse": [
            ("DataFormatConversion.ParseError", "Encountered malformed JSON. Unexpected character ('h' (code 104)): expected a valid value (number, String, array, object, 'true', 'false' or 'null')\n at [Source: com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream@4f2b1c9a; line: 1, column: 2]", 70),
            ("DataFormatConversion.ParseError", "Encountered malformed JSON. Illegal character ((CTRL-CHAR, code 0)): only regular white space (\\r, \\n, \\t) is allowed between tokens\n at [Source: com.fasterxml.jackson.databind.util.ByteBufferBackedInputStream@1a2b3c4d; line: 1, column: 2]", 30),
        ],
        "data": [
            ("DataFormatConversion.MalformedData", "The value 'N/A' of field 'latency_ms' could not be converted to column type bigint", 60),
            ("DataFormatConversion.MalformedData", "The value '2024-13-45' of field 'event_date' could not be converted to column type date", 40),
        ],
    },
    "opensearch": [
        ("400", "mapper", 70),
        ("400", "illegal", 10),
        ("429", '{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=5242880, max_coordinating_and_primary_bytes=53687091]"}', 12),
        ("403", '{"type":"cluster_block_exception","reason":"index [app-logs] blocked by: [FORBIDDEN/8/index write (api)];"}', 8),
    ],
    "splunk": [
        ("Splunk.AckTimeout", "Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk. Amazon Data Firehose backs up in Amazon S3 data for which the acknowledgement timeout expired.", 45),
        ("Splunk.IndexerBusy", "The Splunk indexer is busy and could not accept the request (HTTP 503 Server is busy). Retries exhausted.", 20),
        ("Splunk.ConnectionTimeout", "The connection to Splunk timed out. This might be a transient error and the request will be retried. Firehose backs up the data to Amazon S3 if all retries fail.", 15),
        ("Splunk.InvalidDataFormat", "The data is not formatted correctly. To see how to properly format data for Raw or Event HEC endpoints, see Splunk Event Data.", 12),
        ("Splunk.ServerError", "Data delivery to Splunk failed due to a server error from the HEC node. Firehose will retry sending the data if the retry duration in your Firehose is greater than 0.", 8),
    ],
    "http-endpoint": [
        ("HttpEndpoint.DestinationException", "unauth", 40),
        ("HttpEndpoint.DestinationException", "s500", 20),
        ("HttpEndpoint.RequestTimeout", "Firehose could not get a response from the HTTP endpoint within the configured timeout. Data will be retried until the retry duration expires.", 20),
        ("HttpEndpoint.ConnectionFailed", "Unable to connect to the destination endpoint. Check that the endpoint URL is reachable and accepts HTTPS on port 443.", 12),
        ("HttpEndpoint.InvalidResponseFromDestination", "The response received from the specified endpoint is invalid. Contact the owner of the endpoint to resolve the issue.", 8),
    ],
    "snowflake": [
        ("Snowflake.InvalidColumns", "Snowpipe Streaming does not support columns of type AUTOINCREMENT, IDENTITY, GEO, or columns with a default value or collation", 20),
        ("Snowflake.ExtraColumns", "The record contains columns that are not present in the table: [\"SESSIONID\", \"referrer\"]. Column names are case sensitive.", 35),
        ("Snowflake.MissingColumns", "The record is missing values for NOT NULL columns: [\"EVENT_TIME\"]", 25),
        ("Snowflake.InvalidInput", "The input is not a single JSON object. Arrays and scalar values are not supported.", 10),
        ("Snowflake.InvalidValue", "The value for column \"AMOUNT\" could not be converted to NUMBER(38,2)", 10),
    ],
    "iceberg": [
        ("Iceberg.MissingColumnWithinRecord", "Column 'deviceSerial' is missing within the record. Top-level JSON keys must match the table columns exactly (case sensitive).", 80),
        ("Iceberg.DataTypeMismatch", "Value of field 'rssi' does not match the column type int.", 20),
    ],
}

# Payload type weights per kind (non-CWL part)
PAYLOAD_WEIGHTS = {
    #                      json text binary empty invalid
    "processing-failed":  (60, 24, 8, 4, 4),
    "format-conversion-failed": (55, 28, 9, 4, 4),
    "opensearch":         (88, 5, 2, 2, 3),
    "splunk":             (66, 26, 2, 3, 3),
    "http-endpoint":      (70, 20, 4, 3, 3),
    "snowflake":          (80, 12, 2, 3, 3),
    "iceberg":            (86, 6, 2, 3, 3),
}
PTYPES = ("json", "text", "binary", "empty", "invalid-base64")

# ---------------------------------------------------------------------------
# Payload pools (built once per run from the seeded RNG)


def b64(b):
    return base64.b64encode(b).decode("ascii")


def rand_hex(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def rand_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def rand_digits(rng, n):
    return "%0*d" % (n, rng.randrange(10 ** n))


def build_json_pool(rng, flavor, n):
    pool = []
    for i in range(n):
        if flavor == "hec":
            obj = {
                "time": 1709600000 + rng.randrange(200000),
                "host": rng.choice(["ip-10-0-1-17", "ip-10-0-3-201", "web-01.example.internal"]),
                "source": rng.choice(["aws:cloudwatchlogs", "aws:vpcflow", "http:firehose"]),
                "sourcetype": rng.choice(["aws:cloudwatchlogs:vpcflow", "aws:cloudtrail", "_json"]),
                "index": rng.choice(["main", "aws", "security"]),
                "event": {"level": rng.choice(["info", "warn", "error"]), "status": rng.choice([200, 404, 500, 503]),
                          "msg": rng.choice(["request served", "upstream timeout", "café order placed", "cache miss"]),
                          "bytes": rng.randrange(100, 90000)},
            }
        elif flavor == "iot":
            obj = {"networkId": "N_" + rand_digits(rng, 12), "deviceserial": "Q2XX-" + rand_hex(rng, 4).upper(),
                   "ts": "2024-03-05T%02d:%02d:%02dZ" % (rng.randrange(24), rng.randrange(60), rng.randrange(60)),
                   "rssi": rng.choice([-61, -72, "n/a", -80]), "clientMac": ":".join(rand_hex(rng, 2) for _ in range(6))}
        else:
            obj = {
                "level": rng.choice(["info", "warn", "error", "debug"]),
                "status": rng.choice([200, 201, 400, 404, 429, 500, "OK"]),
                "user": {"id": "u%d" % rng.randrange(100000), "plan": rng.choice(["free", "pro", "team"])},
                "msg": rng.choice(["order created", "payment declined", "naïve retry — gave up", "cache refresh",
                                   "café menu loaded", "timeout calling inventory"]),
                "requestId": rand_uuid(rng),
                "latency_ms": rng.choice([12, 87, 250, 1203, "N/A"]),
            }
            for j in range(rng.randrange(0, 6)):
                obj["attr%d" % j] = rand_hex(rng, rng.randrange(4, 40))
        sep = (",", ":") if rng.random() < 0.7 else (", ", ": ")
        s = json.dumps(obj, ensure_ascii=False, separators=sep)
        if rng.random() < 0.4:
            s += "\n"
        raw = s.encode("utf-8")
        pool.append((b64(raw), len(raw)))
    return pool


TEXT_TEMPLATES = [
    "2 {acct} eni-{eni} 10.0.{a}.{b} 172.16.{c}.{d} {sp} {dp} 6 {pk} {by} 1709600000 1709600060 REJECT OK",
    "this is not json: user {u} paid {amt} EUR at café Zürich",
    "ERROR [worker-{a}] Failed to process order {u}: connection reset by peer",
    "<134>1 2024-03-05T14:{b:02d}:00Z host-{a} app - - - GET /api/v1/items?id={u} 502",
    "plain log line {u} — status=timeout retries={a}",
    "Mar  5 14:{b:02d}:11 ip-10-0-{a}-{c} sshd[{pk}]: Invalid user admin from 203.0.113.{d} port {sp}",
]


def build_text_pool(rng, n):
    pool = []
    for i in range(n):
        t = TEXT_TEMPLATES[i % len(TEXT_TEMPLATES)]
        s = t.format(acct=AWS_ACCOUNT, eni=rand_hex(rng, 8), a=rng.randrange(256), b=rng.randrange(60),
                     c=rng.randrange(256), d=rng.randrange(1, 255), sp=rng.randrange(1024, 65535),
                     dp=rng.choice([22, 443, 3389, 8080]), pk=rng.randrange(1, 5000), by=rng.randrange(40, 99999),
                     u=rand_hex(rng, 8), amt="%d.%02d" % (rng.randrange(1000), rng.randrange(100)))
        if rng.random() < 0.3:
            s += "\n"
        try:
            json.loads(s)
            raise AssertionError("text payload parses as JSON: %r" % s)
        except ValueError:
            pass
        raw = s.encode("utf-8")
        pool.append((b64(raw), len(raw)))
    return pool


def build_binary_pool(rng, n):
    pool = []
    for _ in range(n):
        ln = rng.randrange(8, 200)
        b = bytearray(rng.getrandbits(8) for _ in range(ln))
        b[0] = rng.choice([0x00, 0xff, 0x80, 0x7f])  # never 0x1f
        b[rng.randrange(1, ln)] = 0xff  # 0xff is never valid UTF-8
        b[rng.randrange(1, ln)] = 0x00
        b = bytes(b)
        try:
            b.decode("utf-8")
            raise AssertionError("binary payload is valid UTF-8")
        except UnicodeDecodeError:
            pass
        assert b[:2] != b"\x1f\x8b"
        pool.append((b64(b), len(b)))
    return pool


INVALID_B64 = [
    "not*base64!!",
    "SGVsbG8gd29ybGQ!",
    "eyJhIjox*fQ==",
    "!!!!",
    "dGVzdA==*",
    "H4sI!AAAAAAAA/",
]


def cwl_message(rng, style, ts):
    req = rand_uuid(rng)
    if style == "lambda":
        return rng.choice([
            "START RequestId: %s Version: $LATEST\n" % req,
            "%s\t%s\tERROR\tUnhandled Promise Rejection \t{\"errorType\":\"TypeError\",\"errorMessage\":\"Cannot read properties of undefined (reading 'id')\"}\n"
            % (dt.datetime.fromtimestamp(ts / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", req),
            "END RequestId: %s\n" % req,
            "REPORT RequestId: %s\tDuration: %d.%02d ms\tBilled Duration: %d ms\tMemory Size: 128 MB\tMax Memory Used: %d MB\t\n"
            % (req, rng.randrange(1, 900), rng.randrange(100), rng.randrange(1, 900), rng.randrange(60, 128)),
        ])
    if style == "app":
        return json.dumps({"level": rng.choice(["info", "error"]), "msg": rng.choice(["checkout ok", "card declined", "café voucher applied"]),
                           "orderId": rand_hex(rng, 10), "ms": rng.randrange(1, 3000)}, ensure_ascii=False)
    if style == "apigw":
        return '{"requestId":"%s","ip":"198.51.100.%d","httpMethod":"GET","resourcePath":"/items/{id}","status":"%d","responseLength":"%d"}' % (
            req, rng.randrange(1, 255), rng.choice([200, 403, 502]), rng.randrange(10, 5000))
    return "2 %s eni-05f322d5 10.0.%d.%d 172.16.1.%d %d 443 6 %d %d %d %d %s OK" % (
        AWS_ACCOUNT, rng.randrange(256), rng.randrange(256), rng.randrange(256), rng.randrange(1024, 65535),
        rng.randrange(1, 50), rng.randrange(40, 9000), ts // 1000, ts // 1000 + 60, rng.choice(["ACCEPT", "REJECT"]))


def build_cwl_pools(rng, n_data, n_control, first=0, sequential_ids=False):
    data = []
    for i in range(first, first + n_data):
        group, stream, style = LOG_GROUPS[i % len(LOG_GROUPS)]
        k = rng.randint(1, 20)
        ts0 = BASE_EPOCH_MS + rng.randrange(HOURS_SPAN * 3600000)
        events = []
        # Real event ids in one batch are consecutive 56-digit numbers (AWS's subscription examples).
        id0 = rng.randrange(10 ** 55, 10 ** 56 - 100)
        for j in range(k):
            ts = ts0 + j * rng.randrange(0, 400)
            eid = str(id0 + j) if sequential_ids else rand_digits(rng, 56)
            events.append({"id": eid, "timestamp": ts, "message": cwl_message(rng, style, ts)})
        doc = {"messageType": "DATA_MESSAGE", "owner": AWS_ACCOUNT, "logGroup": group, "logStream": stream,
               "subscriptionFilters": ["to-firehose"], "logEvents": events}
        raw = gzip.compress(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6, mtime=0)
        data.append((b64(raw), len(raw), group, k))
    control = []
    for i in range(n_control):
        ts = BASE_EPOCH_MS + rng.randrange(HOURS_SPAN * 3600000)
        doc = {"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": ts,
                                                         "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}
        raw = gzip.compress(json.dumps(doc, separators=(",", ":")).encode("utf-8"), 6, mtime=0)
        control.append((b64(raw), len(raw)))
    return data, control


# ---------------------------------------------------------------------------
# Malformed lines (never the last line of a file, always followed by "\n")

MALFORMED_STATIC = [
    ("text", "this is not json"),
    ("text", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
    ("text", "ERROR could not write record: café connection reset"),
    ("scalar", "[1,2,3]"),
    ("scalar", "42"),
    ("scalar", '"just a string"'),
    ("scalar", "null"),
    ("scalar", "true"),
    ("nofields", '{"hello":"world"}'),
    ("nofields", '{"status":"ok","count":3,"attemptsMade":1}'),
    ("nofields", "{}"),
]


def truncate_line(rng, line):
    """Cut a record's JSON inside a string value (the error message or rawData)."""
    for key in ('Message":"', 'rawData":"'):
        i = line.find(key)
        if i < 0:
            continue
        start = i + len(key)
        # find end of string value
        j = start
        while j < len(line) and line[j] != '"':
            j += 2 if line[j] == "\\" else 1
        if j - start < 4:
            continue
        cut = start + rng.randrange(1, j - start - 1)
        while line[cut - 1] == "\\":  # do not end on a lone backslash
            cut -= 1
        if cut <= start:
            continue
        return line[:cut]
    return line[: len(line) // 2].rstrip("\\")


# ---------------------------------------------------------------------------


def iso_ms(ms):
    d = dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def parse_size(s):
    s = s.strip().upper().rstrip("B")
    mult = 1
    if s and s[-1] in "KMGT":
        mult = 1024 ** ("KMGT".index(s[-1]) + 1)
        s = s[:-1]
    return int(float(s) * mult)


class Generator:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.args = args
        self.out = os.path.join(args.out, "corpus")
        rng = self.rng
        # pools
        self.json_pools = {
            "app": build_json_pool(rng, "app", 256),
            "hec": build_json_pool(rng, "hec", 128),
            "iot": build_json_pool(rng, "iot", 64),
        }
        self.text_pool = build_text_pool(rng, 96)
        self.bin_pool = build_binary_pool(rng, 48)
        self.cwl_data, self.cwl_control = build_cwl_pools(rng, 96, 12)
        self.fresh_count = 0
        # kind weights and CWL share inside processing-failed
        F = max(0.0, min(1.0, args.cwl_fraction))
        p = min(1.0, max(0.25, F / 0.9))
        self.cwl_prob = (F / p) if p > 0 else 0.0
        rest = (1.0 - p) / (len(FOLDERS) - 1)
        self.folder_weights = [p if k == "processing-failed" else rest for _, k in FOLDERS]
        self.pf_only = p >= 1.0
        # pre-built error choices per kind: (code or None, message JSON-encoded)
        self.err = {}
        for kind, spec in ERRORS.items():
            if isinstance(spec, dict):
                self.err[kind] = {sub: ([(c, m) for c, m, _ in lst], [w for _, _, w in lst]) for sub, lst in spec.items()}
            else:
                self.err[kind] = ([(c, m) for c, m, _ in spec], [w for _, _, w in spec])
        # tallies
        self.combo = {}  # (kind, code, ptype, hour, logGroup) -> count
        self.payload_by_kind = {}
        self.events_by_group = {}
        self.t = dict(files=0, bytesRead=0, records=0, malformed=0, blankLines=0, lines=0, payloadBytes=0,
                      undecodable=0, logEvents=0, controlMessages=0, backToBackRecords=0, uncompressedBytes=0)
        self.first = None
        self.last = None
        self.formats = {f: 0 for f in FORMATS}
        self.malformed_by_reason = {"text": 0, "truncated": 0, "scalar": 0, "nofields": 0}

    # -- payload -----------------------------------------------------------
    def payload(self, kind):
        """Return (rawData string, ptype, nbytes, logGroup, events, is_control)."""
        rng = self.rng
        fresh = self.args.fresh_payloads
        if kind == "processing-failed" and self.cwl_prob > 0 and rng.random() < self.cwl_prob:
            if rng.random() < 0.05:
                s, n = rng.choice(self.cwl_control)
                return s, "cloudwatch-logs", n, "(none)", 0, True
            if fresh:
                self.fresh_count += 1
                s, n, g, k = build_cwl_pools(rng, 1, 0, first=self.fresh_count, sequential_ids=True)[0][0]
            else:
                s, n, g, k = rng.choice(self.cwl_data)
            return s, "cloudwatch-logs", n, g, k, False
        pt = rng.choices(PTYPES, PAYLOAD_WEIGHTS[kind])[0]
        if pt == "json":
            flavor = "hec" if kind == "splunk" else ("iot" if kind == "iceberg" else "app")
            s, n = build_json_pool(rng, flavor, 1)[0] if fresh else rng.choice(self.json_pools[flavor])
        elif pt == "text":
            if fresh:
                self.fresh_count += 1
                s, n = build_text_pool(rng, self.fresh_count % len(TEXT_TEMPLATES) + 1)[-1]
            else:
                s, n = rng.choice(self.text_pool)
        elif pt == "binary":
            s, n = build_binary_pool(rng, 1)[0] if fresh else rng.choice(self.bin_pool)
        elif pt == "empty":
            s, n = "", 0
        else:
            s, n = rng.choice(INVALID_B64), 0
        return s, pt, n, "(none)", 0, False

    # -- error -------------------------------------------------------------
    def error(self, kind, ptype, doc_id, index):
        rng = self.rng
        if kind == "format-conversion-failed":
            sub = "data" if ptype == "json" else "parse"
            choices, weights = self.err[kind][sub]
            return rng.choices(choices, weights)[0]
        choices, weights = self.err[kind]
        code, msg = rng.choices(choices, weights)[0]
        if kind == "opensearch" and msg == "mapper":
            field, typ, val = rng.choice([("status", "long", "OK"), ("latency_ms", "long", "N/A"), ("user", "keyword", "{id=u1}")])
            msg = ('{"type":"mapper_parsing_exception","reason":"failed to parse field [%s] of type [%s] in document with id \'%s\'. '
                   'Preview of field\'s value: \'%s\'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \\"%s\\""}}'
                   % (field, typ, doc_id, val, val))
        elif kind == "opensearch" and msg == "illegal":
            msg = '{"type":"illegal_argument_exception","reason":"Limit of total fields [1000] in index [%s] has been exceeded"}' % index
        elif kind == "http-endpoint" and msg in ("unauth", "s500"):
            rid = rand_uuid(rng)
            ts = BASE_EPOCH_MS + rng.randrange(HOURS_SPAN * 3600000)
            if msg == "unauth":
                msg = 'Received the following response from the endpoint destination. {"requestId": "%s", "timestamp": %d, "errorMessage": "Unauthorized"}' % (rid, ts)
            else:
                msg = 'The following response was received from the endpoint destination. 500: {"requestId": "%s", "timestamp": %d, "errorMessage": "Internal Server Error"}' % (rid, ts)
        return code, msg

    # -- one record --------------------------------------------------------
    def record(self, kind, arrival, stream_ver):
        """Build one record's JSON text and tally it. Returns the line (no newline)."""
        rng = self.rng
        raw, ptype, nbytes, group, nev, is_control = self.payload(kind)
        attempts = rng.randrange(0, 6)
        ending = arrival + rng.randrange(500, 300000)
        doc_id = index = None
        if kind == "opensearch":
            doc_id = rand_hex(rng, 32) if rng.random() < 0.5 else rand_digits(rng, 56) + ".0"
            d = dt.datetime.fromtimestamp(arrival / 1000, dt.timezone.utc)
            index = rng.choice(["app-logs-%s" % d.strftime("%Y-%m-%d"), "audit-%s" % d.strftime("%Y-w%V")])
        if is_control:
            code, msg = "Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record"
        else:
            code, msg = self.error(kind, ptype, doc_id, index)
        has_code = rng.random() >= 0.01  # ~1% records carry no error code at all
        jmsg = jstr(msg)
        jraw = '"' + raw + '"'
        P = []
        if kind == "processing-failed":
            if rng.random() < 0.8:  # real-record shape: rawData first, lambdaARN
                P.append('{"rawData":' + jraw)
                if has_code:
                    P.append(',"errorCode":"' + code + '"')
                P.append(',"errorMessage":%s,"attemptsMade":%d,"arrivalTimestamp":%d,"attemptEndingTimestamp":%d,"lambdaARN":"%s"}'
                         % (jmsg, attempts, arrival, ending, LAMBDA_ARNS[stream_ver % len(LAMBDA_ARNS)]))
            else:  # documented shape: lambdaArn
                P.append('{"attemptsMade":%d,"arrivalTimestamp":%d' % (attempts, arrival))
                if has_code:
                    P.append(',"errorCode":"' + code + '"')
                P.append(',"errorMessage":%s,"attemptEndingTimestamp":%d,"rawData":%s,"lambdaArn":"%s"}'
                         % (jmsg, ending, jraw, LAMBDA_ARNS[stream_ver % len(LAMBDA_ARNS)]))
        elif kind == "format-conversion-failed":
            if rng.random() < 0.85:
                ck, mk = "lastErrorCode", "lastErrorMessage"
            else:
                ck, mk = "ErrorCode", "ErrorMessage"
            P.append('{"attemptsMade":%d,"arrivalTimestamp":%d' % (attempts, arrival))
            if has_code:
                P.append(',"%s":"%s"' % (ck, code))
            sub = "null" if rng.random() < 0.1 else str(rng.randrange(0, 4))
            P.append(',"%s":%s,"attemptEndingTimestamp":%d,"rawData":%s,"sequenceNumber":"%s","subSequenceNumber":%s,'
                     '"dataCatalogTable":{"catalogId":"%s","databaseName":"analytics","tableName":"clickstream",'
                     '"region":"us-east-1","versionId":"LATEST","catalogArn":"arn:aws:glue:us-east-1:%s:catalog"}}'
                     % (mk, jmsg, ending, jraw, rand_digits(rng, 56), sub, AWS_ACCOUNT, AWS_ACCOUNT))
        elif kind == "opensearch":
            P.append('{"attemptsMade":%d,"arrivalTimestamp":%d' % (attempts, arrival))
            if has_code:
                P.append(',"errorCode":"' + code + '"')
            P.append(',"errorMessage":%s,"attemptEndingTimestamp":%d,"esDocumentId":"%s","esIndexName":"%s","esTypeName":"%s","rawData":%s}'
                     % (jmsg, ending, doc_id, index, rng.choice(["", "_doc", "log"]), jraw))
        elif kind == "splunk":
            P.append('{"attemptsMade":%d,"arrivalTimestamp":%d' % (attempts, arrival))
            if has_code:
                P.append(',"errorCode":"' + code + '"')
            if rng.random() < 0.75:
                tail = ',"EventId":"%s.%d"}' % (rand_digits(rng, 56), rng.randrange(0, 3))
            else:
                tail = ',"subsequenceNumber":%d}' % rng.randrange(0, 3)
            P.append(',"errorMessage":%s,"attemptEndingTimestamp":%d,"rawData":%s%s' % (jmsg, ending, jraw, tail))
        elif kind == "http-endpoint":
            P.append('{"attemptsMade":%d,"arrivalTimestamp":%d' % (attempts, arrival))
            if has_code:
                P.append(',"errorCode":"' + code + '"')
            P.append(',"errorMessage":%s,"attemptEndingTimestamp":%d,"rawData":%s,"subsequenceNumber":%d,"dataId":"%s.%d"}'
                     % (jmsg, ending, jraw, rng.randrange(0, 3), rand_digits(rng, 56), rng.randrange(0, 2)))
        else:  # snowflake, iceberg
            P.append('{"attemptsMade":%d,"arrivalTimestamp":%d' % (attempts, arrival))
            if has_code:
                P.append(',"errorCode":"' + code + '"')
            P.append(',"errorMessage":%s,"attemptEndingTimestamp":%d,"rawData":%s' % (jmsg, ending, jraw))
            if kind == "iceberg" and rng.random() < 0.5:
                P.append(',"EventId":"%s.0"' % rand_digits(rng, 56))
            P.append("}")
        # tally
        t = self.t
        t["records"] += 1
        ck = code if has_code else "(none)"
        key = (kind, ck, ptype, group)
        self.file_combo[key] = self.file_combo.get(key, 0) + 1
        t["payloadBytes"] += nbytes
        self.payload_by_kind[kind] = self.payload_by_kind.get(kind, 0) + nbytes
        if ptype == "invalid-base64":
            t["undecodable"] += 1
        if nev:
            t["logEvents"] += nev
            self.events_by_group[group] = self.events_by_group.get(group, 0) + nev
        if is_control:
            t["controlMessages"] += 1
        if self.first is None or arrival < self.first:
            self.first = arrival
        if self.last is None or arrival > self.last:
            self.last = arrival
        return "".join(P)

    # -- one file ----------------------------------------------------------
    def make_file(self, n, folder, kind, fmt, force_bad):
        rng = self.rng
        hour = rng.randrange(HOURS_SPAN)
        hour_ms = BASE_EPOCH_MS + hour * 3600000
        stream, ver = rng.choice(STREAMS[kind])
        # a Firehose buffer spans a few minutes: records arrive in a 1-15 min window inside the hour
        window = rng.randrange(60000, 900000)
        w0 = hour_ms + rng.randrange(3600000 - window)
        arrivals = sorted(w0 + rng.randrange(window) for _ in range(n))
        self.file_combo = {}
        recs = [self.record(kind, a, ver) for a in arrivals]
        hour_key = dt.datetime.fromtimestamp(hour_ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H")
        for (k, c, p, g), cnt in self.file_combo.items():
            key = (k, c, p, hour_key, g)
            self.combo[key] = self.combo.get(key, 0) + cnt

        t = self.t
        if fmt == "b2b":
            content = "".join(recs)
            nlines = 1
            t["backToBackRecords"] += n
            data = content.encode("utf-8")
        else:
            # lines: list of strings (without terminator)
            lines = list(recs)
            inserts = []  # (position before record i, text, is_blank)
            n_blank = 0
            n_bad = 0
            if force_bad or rng.random() < 0.3:
                # in CRLF files every line already ends in "\r\n": a blank line there is "" or spaces
                pool = ["", "   "] if fmt == "crlf-bom" else ["", "   ", "\r", "  \r"]
                blanks = pool[:3] if force_bad else [rng.choice(pool) for _ in range(rng.randint(1, 4))]
                for b in blanks:
                    lo = 1 if fmt == "crlf-bom" else 0
                    inserts.append((rng.randrange(lo, n) if n > lo else n, b))
                    n_blank += 1
            if fmt in ("plain", "gzip") and not self.args.clean and (force_bad or self.args.malformed_fraction
                                                                     or rng.random() < 0.35):
                if force_bad:
                    bad = [("text", "this is not json"), ("truncated", None), ("scalar", "[1,2,3]"), ("scalar", "42"),
                           ("nofields", '{"hello":"world"}')]
                else:
                    bad = []
                    # --malformed-fraction: about that share of this file's lines malformed, instead of 1 to 4
                    count = (max(1, round(n * self.args.malformed_fraction * rng.uniform(0.5, 1.5)))
                             if self.args.malformed_fraction else rng.randint(1, 4))
                    for _ in range(count):
                        if rng.random() < 0.3:
                            bad.append(("truncated", None))
                        else:
                            bad.append(rng.choice(MALFORMED_STATIC))
                for reason, text in bad:
                    if reason == "truncated":
                        text = truncate_line(rng, rng.choice(recs))
                    inserts.append((rng.randrange(0, n), text))
                    self.malformed_by_reason[reason] += 1
                    n_bad += 1
            # apply inserts from the back so positions stay valid (stable for equal positions)
            inserts.sort(key=lambda x: x[0])
            for pos, text in reversed(inserts):
                lines.insert(pos, text)
            trailing_blank = fmt != "crlf-bom" and rng.random() < 0.05
            if trailing_blank:
                lines.append("")
                n_blank += 1
            nlines = len(lines)
            if fmt == "crlf-bom":
                content = "\ufeff" + "\r\n".join(lines) + "\r\n"
            else:
                content = "\n".join(lines)
                # final newline: always when a blank trailing line was added (else it would vanish),
                # usually otherwise
                if trailing_blank or rng.random() < 0.85:
                    content += "\n"
            t["blankLines"] += n_blank
            t["malformed"] += n_bad
            data = content.encode("utf-8")
        t["lines"] += nlines
        t["uncompressedBytes"] += len(data)

        ext = ""
        if fmt == "gzip":
            blob = gzip.compress(data, 6, mtime=0)
        elif fmt == "gzip-multi":
            parts = data.split(b"\n")
            # split at line boundaries into 2-3 members
            m = rng.randint(2, 3) if len(parts) > 3 else 2
            cuts = sorted(rng.sample(range(1, len(parts) - 1), m - 1)) if len(parts) > m else [1]
            members = []
            prev = 0
            for c in cuts + [len(parts)]:
                chunk = b"\n".join(parts[prev:c])
                if c != len(parts):
                    chunk += b"\n"
                members.append(gzip.compress(chunk, 6, mtime=0))
                prev = c
            assert b"".join(gzip.decompress(mm) for mm in members) == data
            blob = b"".join(members)
        else:
            blob = data
        if fmt in ("gzip", "gzip-multi") and rng.random() < 0.75:
            ext = ".gz"
        first = arrivals[0]
        d = dt.datetime.fromtimestamp(first / 1000, dt.timezone.utc)
        key_dir = os.path.join(self.out, folder, d.strftime("%Y/%m/%d/%H"))
        name = "%s-%d-%s-%s%s" % (stream, ver, d.strftime("%Y-%m-%d-%H-%M-%S"), rand_uuid(rng), ext)
        os.makedirs(key_dir, exist_ok=True)
        with open(os.path.join(key_dir, name), "wb") as f:
            f.write(blob)
        t["files"] += 1
        t["bytesRead"] += len(blob)
        self.formats[fmt] += 1

    # -- main loop ---------------------------------------------------------
    def run(self):
        rng = self.rng
        args = self.args
        target_bytes = parse_size(args.bytes_target) if args.bytes_target else None
        remaining = args.records
        kinds_cycle = [] if self.pf_only else list(range(len(FOLDERS)))
        rng.shuffle(kinds_cycle)
        allowed = [f for f in FORMATS if f in args.formats.split(",")]
        weights = [w for f, w in zip(FORMATS, FORMAT_WEIGHTS) if f in allowed]
        fmt_cycle = list(allowed)
        rng.shuffle(fmt_cycle)
        forced_bad_done = False
        i = 0
        while True:
            if target_bytes is not None:
                if self.t["uncompressedBytes"] >= target_bytes:
                    break
                n = int(rng.triangular(50, args.max_file_records, 50))
            else:
                if remaining <= 0:
                    break
                n = int(rng.triangular(50, args.max_file_records, 50))
                if remaining - n < 50:
                    n = remaining if remaining <= args.max_file_records else remaining - 50
                remaining -= n
            if i < len(kinds_cycle):
                fi = kinds_cycle[i]
            else:
                fi = rng.choices(range(len(FOLDERS)), self.folder_weights)[0]
            folder, kind = FOLDERS[fi]
            fmt = fmt_cycle[i] if i < len(fmt_cycle) else rng.choices(allowed, weights)[0]
            if fmt == "b2b" and n < 2:  # one object alone on a line is not "back to back"
                fmt = "plain"
            force_bad = False
            if fmt == "plain" and not forced_bad_done and n >= 2:
                force_bad = True
                forced_bad_done = True
            self.make_file(n, folder, kind, fmt, force_bad)
            i += 1

    def expected(self):
        groups = {"kind": {}, "errorCode": {}, "payloadType": {}, "hour": {}, "logGroup": {}, "kind,errorCode": {}}
        for (k, c, p, h, g), n in self.combo.items():
            for name, val in (("kind", k), ("errorCode", c), ("payloadType", p), ("hour", h), ("logGroup", g),
                              ("kind,errorCode", k + "|" + c)):
                groups[name][val] = groups[name].get(val, 0) + n
        sg = {name: dict(sorted(d.items())) for name, d in groups.items()}
        totals = dict(self.t)
        totals["firstArrival"] = iso_ms(self.first) if self.first is not None else None
        totals["lastArrival"] = iso_ms(self.last) if self.last is not None else None
        ev = {g: self.events_by_group.get(g, 0) for g in sg["logGroup"]}
        return {
            "generator": {"name": "gen-corpus.py", "version": GENERATOR_VERSION, "seed": self.args.seed,
                          "records": None if self.args.bytes_target else self.args.records,
                          "bytesTarget": self.args.bytes_target, "cwlFraction": self.args.cwl_fraction},
            "totals": totals,
            "groups": sg,
            "payloadBytesByKind": dict(sorted(self.payload_by_kind.items())),
            "logEventsByLogGroup": dict(sorted(ev.items())),
            "fileFormats": self.formats,
            "malformedByReason": self.malformed_by_reason,
        }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory (corpus/ and expected.json are written inside)")
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cwl-fraction", type=float, default=0.15)
    ap.add_argument("--bytes-target", default=None, help="e.g. 1G: generate until this much uncompressed data")
    ap.add_argument("--force", action="store_true", help="remove an existing OUT/corpus first")
    ap.add_argument("--fresh-payloads", action="store_true",
                    help="a newly generated payload for every record (as in a real bucket) instead of one drawn "
                         "from small pools; CloudWatch Logs event ids consecutive within a batch")
    ap.add_argument("--clean", action="store_true",
                    help="no malformed lines (benchmarks compare with jq, which stops at the first one)")
    ap.add_argument("--malformed-fraction", type=float, default=None,
                    help="malformed lines in every plain and gzip NDJSON file, about this share of its records "
                         "(e.g. 0.03; files of the other formats hold none), instead of 1 to 4 in about a third of them")
    ap.add_argument("--max-file-records", type=int, default=500,
                    help="most records in one file (at least 50; the s3 benchmark's smaller objects use 300)")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help="comma-separated file formats to use, of %s (benchmarks use gzip,gzip-multi)" % ",".join(FORMATS))
    args = ap.parse_args(argv)
    if args.max_file_records < 50:
        ap.error("--max-file-records must be at least 50")
    corpus = os.path.join(args.out, "corpus")
    if os.path.exists(corpus) and os.listdir(corpus):
        if not args.force:
            ap.error("%s exists and is not empty (use --force to replace it)" % corpus)
        shutil.rmtree(corpus)
    os.makedirs(corpus, exist_ok=True)
    g = Generator(args)
    g.run()
    exp = g.expected()
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(exp, f, indent=2, ensure_ascii=False)
        f.write("\n")
    t = exp["totals"]
    print("wrote %d files, %d records (%d malformed, %d blank lines), %d uncompressed bytes to %s"
          % (t["files"], t["records"], t["malformed"], t["blankLines"], t["uncompressedBytes"], corpus), file=sys.stderr)


if __name__ == "__main__":
    main()
