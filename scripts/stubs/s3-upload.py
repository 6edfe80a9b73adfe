#!/usr/bin/env python3
"""Uploads a local tree to an S3 API on 127.0.0.1 (moto's server in the tests) with boto3, the AWS SDK for
Python: an independent writer, so what deadletter reads back over s3:// is checked against what boto3 stored.

    s3-upload.py --endpoint http://127.0.0.1:PORT --bucket B [--prefix P] [--tiny N] DIR...

Each DIR's files go under P + their path relative to DIR, hidden entries skipped as deadletter skips them
locally. --tiny N also puts N small objects under P + "many/" (pagination). --marker adds a folder marker
(a zero-byte key ending in "/"). Prints the number of objects stored, as listed back by boto3."""
import argparse
import os
import sys

import boto3
from botocore.config import Config

parser = argparse.ArgumentParser()
parser.add_argument("--endpoint", required=True)
parser.add_argument("--bucket", required=True)
parser.add_argument("--prefix", default="")
parser.add_argument("--tiny", type=int, default=0)
parser.add_argument("--marker", action="append", default=[])
parser.add_argument("dirs", nargs="*")
args = parser.parse_args()
if not args.endpoint.startswith("http://127.0.0.1:"):
    sys.exit("only a server on 127.0.0.1")

s3 = boto3.client("s3", endpoint_url=args.endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing",
                  config=Config(s3={"addressing_style": "path"}))
try:
    s3.create_bucket(Bucket=args.bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
for root in args.dirs:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            key = args.prefix + os.path.relpath(path, root).replace(os.sep, "/")
            s3.upload_file(path, args.bucket, key)
for i in range(args.tiny):
    body = ('{"errorCode":"Tiny.%d","errorMessage":"m","attemptsMade":1,"arrivalTimestamp":1709647331408,'
            '"rawData":"eyJ4IjoxfQ=="}\n' % (i % 7)).encode()
    s3.put_object(Bucket=args.bucket, Key=f"{args.prefix}many/processing-failed/2024/03/05/14/t-{i:05d}", Body=body)
for marker in args.marker:
    s3.put_object(Bucket=args.bucket, Key=marker, Body=b"")
count = sum(page.get("KeyCount", 0) for page in
            s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket, Prefix=args.prefix))
print(count)
