"""Code that runs in AWS Lambda: one folder per function (stdlib, boto3 and botocore only)."""
