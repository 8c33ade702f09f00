#!/usr/bin/env python3
"""Uploads test fixtures to the loopback S3 API server (moto) at $AWS_ENDPOINT: bucket `floe-public`,
with a public-read policy, holding covering.parquet, the hive/ dataset, an ATL03 granule and two QA fixtures (qa/)."""
import json
import os
import sys
from pathlib import Path

import boto3

endpoint = os.environ["AWS_ENDPOINT"]
fixtures = Path(sys.argv[1])
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
s3.create_bucket(Bucket="floe-public", ACL="public-read")
s3.put_bucket_policy(Bucket="floe-public", Policy=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::floe-public/*"}],
}))
public = {"ACL": "public-read"}
granule = Path(__file__).resolve().parent.parent.parent / "shared/data/hdf5/real/hts__ATL03_gt1l.h5"
s3.upload_file(str(granule), "floe-public", "granules/atl03.h5", ExtraArgs=public)
s3.upload_file(str(fixtures / "covering.parquet"), "floe-public", "covering.parquet", ExtraArgs=public)
for path in sorted((fixtures / "hive").rglob("*")):
    if path.is_file():
        key = "hive/" + path.relative_to(fixtures / "hive").as_posix()
        s3.upload_file(str(path), "floe-public", key, ExtraArgs=public)
for name in ["good.parquet", "dropped_rows.parquet"]:
    s3.upload_file(str(fixtures / "qa" / name), "floe-public", "qa/" + name, ExtraArgs=public)
print("s3 fixtures uploaded to", endpoint)
