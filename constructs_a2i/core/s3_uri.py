"""S3 object locations as A2I and its users write them.

Accepted: ``s3://bucket/key`` (the key taken as written: ``#``, ``?``, spaces and unicode are
part of it), and Amazon S3 HTTPS (or HTTP) URLs, path style (``https://s3.amazonaws.com/bucket/
key``, ``https://s3.<region>.amazonaws.com/bucket/key``) and virtual-hosted style
(``https://bucket.s3.amazonaws.com/key``, ``https://bucket.s3.<region>.amazonaws.com/key``),
dual-stack and FIPS endpoints and the legacy ``s3-<region>`` hosts included; a URL's key is
percent-decoded and its query string (a presigned URL's signature) ignored.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import unquote, urlsplit

from constructs_a2i.core.errors import A2IValidationError
from constructs_a2i.core.limits import preview

__all__ = ["parse_s3_uri", "s3_uri"]

_S3_HOST: Final = re.compile(
    r"^(?:(?P<bucket>[a-z0-9][a-z0-9.\-]*[a-z0-9])\.)?"
    r"s3(?:[.\-](?:dualstack|fips|[a-z]{2}(?:-gov)?-[a-z]+-\d))*"
    r"\.amazonaws\.com(?:\.cn)?$"
)


def parse_s3_uri(value: str, prop: str = "S3 URI") -> tuple[str, str]:
    """``(bucket, key)`` of an S3 object URI or URL; raise :class:`A2IValidationError`."""
    bucket = key = ""
    if isinstance(value, str) and value.startswith("s3://"):
        # Not urlsplit: '#' and '?' are ordinary characters of an S3 key.
        bucket, _, key = value[len("s3://") :].partition("/")
    elif isinstance(value, str) and value.startswith(("https://", "http://")):
        parts = urlsplit(value)
        match = _S3_HOST.match((parts.hostname or "").lower())
        if match is not None:
            path = unquote(parts.path[1:])
            if match.group("bucket"):
                bucket, key = match.group("bucket"), path
            else:
                bucket, _, key = path.partition("/")
    if not bucket or not key or "/" in bucket:
        raise A2IValidationError(
            f"{prop} must be an S3 object URI like s3://bucket/key (or an Amazon S3 https:// "
            f"URL); got {preview(value)}"
        )
    return bucket, key


def s3_uri(bucket: str, key: str) -> str:
    """``s3://bucket/key``."""
    return f"s3://{bucket}/{key}"
