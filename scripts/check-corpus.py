#!/usr/bin/env python3
"""Independent re-count of a gen-corpus.py tree (or any Firehose failure tree).

    python3 scripts/check-corpus.py DIR            # DIR holds corpus/ and expected.json
    python3 scripts/check-corpus.py --print TREE   # just print the counts for a tree as JSON

Re-reads every file (gzip with any number of members, BOM, CRLF, NDJSON or
objects back to back), applies the counting rules documented in gen-corpus.py
and compares with expected.json.  It shares no code with the generator.
Exit 0 when everything matches, 1 otherwise.  Python 3.11 stdlib only.
"""

import base64
import binascii
import datetime as dt
import gzip
import json
import os
import sys
import zlib

FAILURE_FIELDS = ("rawData", "errorCode", "ErrorCode", "lastErrorCode", "errorMessage")
KIND_BY_FOLDER = {
    "processing-failed": "processing-failed",
    "format-conversion-failed": "format-conversion-failed",
    "AmazonOpenSearchService-failed": "opensearch",
    "AmazonOpenSearchService_failed": "opensearch",
    "elasticsearch-failed": "opensearch",
    "splunk-failed": "splunk",
    "http-endpoint-failed": "http-endpoint",
    "snowflake-failed": "snowflake",
    "iceberg-failed": "iceberg",
    "decompression-failed": "decompression-failed",
}


def gunzip_all(b):
    out = []
    while b:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(d.decompress(b))
        if not d.eof:
            raise ValueError("truncated gzip")
        b = d.unused_data
    return b"".join(out)


def iso_ms(ms):
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def payload_type(raw):
    """Return (ptype, nbytes, logGroup, events, is_control)."""
    if raw == "":
        return "empty", 0, "(none)", 0, False
    try:
        b = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return "invalid-base64", 0, "(none)", 0, False
    if b[:2] == b"\x1f\x8b":
        try:
            doc = json.loads(gunzip_all(b))
        except (ValueError, zlib.error, EOFError):
            doc = None  # corrupt gzip: falls through to binary/text
        if isinstance(doc, dict) and "messageType" in doc:
            if doc.get("messageType") == "DATA_MESSAGE":
                return "cloudwatch-logs", len(b), doc.get("logGroup") or "(none)", len(doc["logEvents"]), False
            return "cloudwatch-logs", len(b), doc.get("logGroup") or "(none)", 0, True
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError:
        return "binary", len(b), "(none)", 0, False
    try:
        v = json.loads(s.strip())
        if isinstance(v, dict):
            return "json", len(b), "(none)", 0, False
    except ValueError:
        pass
    return "text", len(b), "(none)", 0, False


def objects_back_to_back(line):
    """Parse a line as >=2 JSON values back to back; return list or None."""
    dec = json.JSONDecoder()
    i, vals = 0, []
    while i < len(line):
        while i < len(line) and line[i] in " \t\r":
            i += 1
        if i >= len(line):
            break
        v, i = dec.raw_decode(line, i)
        vals.append(v)
    return vals


def count_tree(tree):
    t = dict(files=0, bytesRead=0, records=0, malformed=0, blankLines=0, lines=0, payloadBytes=0,
             undecodable=0, logEvents=0, controlMessages=0, backToBackRecords=0, uncompressedBytes=0)
    groups = {"kind": {}, "errorCode": {}, "payloadType": {}, "hour": {}, "logGroup": {}, "kind,errorCode": {}}
    pbk, ebg = {}, {}
    first = last = None

    def bump(d, k, n=1):
        d[k] = d.get(k, 0) + n

    for root, dirs, files in os.walk(tree):
        dirs.sort()
        for fn in sorted(files):
            path = os.path.join(root, fn)
            rel = os.path.relpath(path, tree)
            kind = None
            for part in rel.split(os.sep):
                if part in KIND_BY_FOLDER:
                    kind = KIND_BY_FOLDER[part]
            blob = open(path, "rb").read()
            t["files"] += 1
            t["bytesRead"] += len(blob)
            data = gunzip_all(blob) if blob[:2] == b"\x1f\x8b" else blob
            t["uncompressedBytes"] += len(data)
            text = data.decode("utf-8")
            if text.startswith("\ufeff"):
                text = text[1:]
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            t["lines"] += len(lines)
            for line in lines:
                if line.endswith("\r"):
                    line = line[:-1]
                if line.strip(" \t\r") == "":
                    t["blankLines"] += 1
                    continue
                objs = None
                try:
                    objs = [json.loads(line)]
                except ValueError:
                    try:
                        objs = objects_back_to_back(line)
                        if len(objs) < 2:
                            objs = None
                    except ValueError:
                        objs = None
                if objs is None:
                    t["malformed"] += 1
                    continue
                if len(objs) == 1 and not (isinstance(objs[0], dict) and any(k in objs[0] for k in FAILURE_FIELDS)):
                    t["malformed"] += 1
                    continue
                if len(objs) > 1:
                    assert all(isinstance(o, dict) and any(k in o for k in FAILURE_FIELDS) for o in objs), rel
                    t["backToBackRecords"] += len(objs)
                for o in objs:
                    t["records"] += 1
                    code = o.get("errorCode", o.get("ErrorCode", o.get("lastErrorCode"))) or "(none)"
                    pt, nb, lg, ev, ctl = payload_type(o.get("rawData", ""))
                    arr = o["arrivalTimestamp"]
                    first = arr if first is None else min(first, arr)
                    last = arr if last is None else max(last, arr)
                    hour = dt.datetime.fromtimestamp(arr / 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H")
                    k = kind or "(none)"
                    bump(groups["kind"], k)
                    bump(groups["errorCode"], code)
                    bump(groups["payloadType"], pt)
                    bump(groups["hour"], hour)
                    bump(groups["logGroup"], lg)
                    bump(groups["kind,errorCode"], k + "|" + code)
                    t["payloadBytes"] += nb
                    bump(pbk, k, nb)
                    if pt == "invalid-base64":
                        t["undecodable"] += 1
                    t["logEvents"] += ev
                    if lg != "(none)" or ev:
                        bump(ebg, lg, ev)
                    if ctl:
                        t["controlMessages"] += 1
    t["firstArrival"] = iso_ms(first) if first is not None else None
    t["lastArrival"] = iso_ms(last) if last is not None else None
    groups = {n: dict(sorted(d.items())) for n, d in groups.items()}
    ebg = {g: ebg.get(g, 0) for g in groups["logGroup"]}
    return {"totals": t, "groups": groups, "payloadBytesByKind": dict(sorted(pbk.items())),
            "logEventsByLogGroup": dict(sorted(ebg.items()))}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--print":
        print(json.dumps(count_tree(sys.argv[2]), indent=2, ensure_ascii=False))
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    d = sys.argv[1]
    got = count_tree(os.path.join(d, "corpus"))
    exp = json.load(open(os.path.join(d, "expected.json"), encoding="utf-8"))
    bad = 0
    for sect in ("totals", "groups", "payloadBytesByKind", "logEventsByLogGroup"):
        e, g = exp[sect], got[sect]
        keys = set(g) | (set(e) if sect != "totals" else set(g))
        for k in sorted(keys):
            if e.get(k) != g.get(k):
                bad += 1
                print("MISMATCH %s.%s: expected %r, got %r" % (sect, k, e.get(k), g.get(k)))
    if bad:
        return 1
    t = got["totals"]
    print("OK: %d files, %d records, %d malformed, %d blank lines, %d lines match expected.json"
          % (t["files"], t["records"], t["malformed"], t["blankLines"], t["lines"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
