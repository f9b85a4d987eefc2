"""S3 object locations: one parser for the results Lambda, the template checker and the CLI."""

from __future__ import annotations

import pytest

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.s3_uri import parse_s3_uri, s3_uri


@pytest.mark.parametrize(
    ("value", "bucket", "key"),
    [
        ("s3://bucket/key.json", "bucket", "key.json"),
        ("s3://bucket/a/b/output.json", "bucket", "a/b/output.json"),
        # In an s3:// URI these are ordinary key characters, not a fragment or a query.
        ("s3://bucket/invoice #42?.pdf", "bucket", "invoice #42?.pdf"),
        ("s3://bucket/été/レシート 1.png", "bucket", "été/レシート 1.png"),
        ("s3://bucket/a%20b", "bucket", "a%20b"),
        ("https://s3.amazonaws.com/bucket/key.png", "bucket", "key.png"),
        ("https://s3.eu-west-1.amazonaws.com/bucket/k/x.png", "bucket", "k/x.png"),
        ("https://s3-eu-west-1.amazonaws.com/bucket/x.png", "bucket", "x.png"),
        ("https://bucket.s3.amazonaws.com/a%20b%23c.png", "bucket", "a b#c.png"),
        (
            "https://my.bucket.s3.us-east-1.amazonaws.com/k.png?X-Amz-Signature=1",
            "my.bucket",
            "k.png",
        ),
        ("https://bucket.s3.dualstack.us-west-2.amazonaws.com/k.png", "bucket", "k.png"),
        ("https://bucket.s3-fips.us-gov-west-1.amazonaws.com/k.png", "bucket", "k.png"),
        ("https://bucket.s3.cn-north-1.amazonaws.com.cn/k.png", "bucket", "k.png"),
        ("http://BUCKET.S3.AMAZONAWS.COM/k.png", "bucket", "k.png"),
    ],
)
def test_accepted_forms(value: str, bucket: str, key: str) -> None:
    assert parse_s3_uri(value) == (bucket, key)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "s3://",
        "s3://bucket",
        "s3://bucket/",
        "s3:///key",
        "bucket/key",
        "https://example.com/bucket/key",
        "https://s3.amazonaws.com/bucket",
        "https://bucket.s3.amazonaws.com/",
        "https://s3.amazonaws.com.evil.example/bucket/key",
        "ftp://s3.amazonaws.com/bucket/key",
    ],
)
def test_refused_forms_name_the_property(value: str) -> None:
    with pytest.raises(A2IValidationError, match=r"^outputS3Uri must be an S3 object URI"):
        parse_s3_uri(value, "outputS3Uri")


def test_round_trip() -> None:
    assert parse_s3_uri(s3_uri("b", "k #1?.json")) == ("b", "k #1?.json")
