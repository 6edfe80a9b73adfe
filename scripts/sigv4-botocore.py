#!/usr/bin/env python3
"""botocore's SigV4 signer as an oracle for the Swift one (Tests/DeadLetterKitTests/SigV4Tests.swift).

Usage: sigv4-botocore.py [CASES.json [RESULTS.json]] (stdin and stdout without them). CASES is a JSON array, each
  {"key", "secret", "token" (or null), "region", "service", "method", "host",
   "path" (percent-encoded, as on the request line), "query": [[name, value], ...] (decoded),
   "headers": [[name, value], ...], "body" (text), "unsigned" (S3: UNSIGNED-PAYLOAD), "time" ("YYYYMMDDTHHMMSSZ")}
and RESULTS a JSON array of {"canonicalRequest", "stringToSign", "signature", "authorization"} made by
botocore.auth.SigV4Auth (S3SigV4Auth for service "s3"), exactly as add_auth does but at the given time.
Exit status 77 when botocore is missing (the caller fails on it: .ci/run installs it with boto3).
"""
import json
import sys
import types

try:
    from botocore.auth import S3SigV4Auth, SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as error:
    print(f"botocore is missing ({error}); install it with: python3 -m pip install botocore", file=sys.stderr)
    sys.exit(77)

results = []
source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
for case in json.load(source):
    credentials = Credentials(case["key"], case["secret"], case.get("token"))
    signer = (S3SigV4Auth if case["service"] == "s3" else SigV4Auth)(credentials, case["service"], case["region"])
    request = AWSRequest(method=case["method"], url="https://" + case["host"] + case["path"],
                         params=[tuple(q) for q in case["query"]] or None,
                         data=case.get("body", "").encode())
    for name, value in case["headers"]:
        request.headers[name] = value  # HTTPHeaders: assignment appends, so repeated names stay in order
    request.context["timestamp"] = case["time"]
    if case.get("unsigned"):
        # S3's explicit switch (botocore's Config(s3={"payload_signing_enabled": False})).
        request.context["client_config"] = types.SimpleNamespace(s3={"payload_signing_enabled": False})
    # add_auth without its clock: the same steps in the same order.
    signer._modify_request_before_signing(request)
    canonical = signer.canonical_request(request)
    sts = signer.string_to_sign(request, canonical)
    signature = signer.signature(sts, request)
    signer._inject_signature_to_request(request, signature)
    results.append({"canonicalRequest": canonical, "stringToSign": sts, "signature": signature,
                    "authorization": request.headers["Authorization"]})
with (open(sys.argv[2], "w", encoding="utf-8") if len(sys.argv) > 2 else sys.stdout) as sink:
    json.dump(results, sink, ensure_ascii=False)
