"""The human loop starter Lambda function (handler ``index.handler``).

This folder is the function's code asset. It is self-contained: ``index.py`` uses only the
standard library and boto3/botocore, which the Lambda Python runtime provides.
"""
