"""Input buckets: the S3 objects (images, documents) reviewers see in their browser.

Worker task templates show input objects through presigned URLs (the ``grant_read_access``
Liquid filter). Two things must be true for that to work: the flow definition's role may
read the objects, and the bucket answers the browser's cross-origin ``GET`` (CORS).
Without the CORS rule, images and documents silently fail to load in the worker UI.
:meth:`InputBucket.prepare` does both::

    InputBucket.prepare(images, flow, prefix="incoming/")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from constructs_a2i.nag import acknowledge_resource
from constructs_a2i.validation import A2IValidationError, check_length, is_token

__all__ = ["WORKER_CORS_ALLOWED_METHODS", "InputBucket"]

WORKER_CORS_ALLOWED_METHODS = (s3.HttpMethods.GET,)
"""The methods workers' browsers use on input objects."""

_MARKER_ID = "A2IWorkerCorsRule"
_DEFAULT_CORS_MAX_AGE = Duration.hours(1)


class _HasRole(Protocol):
    @property
    def role(self) -> iam.IRole: ...


class InputBucket:
    """Prepares buckets whose objects A2I workers view; see :meth:`prepare`."""

    @staticmethod
    def prepare(
        bucket: s3.IBucket,
        flow: _HasRole,
        *,
        prefix: str | None = None,
        allowed_origins: Sequence[str] = ("*",),
        max_age: Duration | None = None,
    ) -> iam.Grant:
        """Give ``bucket`` the CORS rule workers need and let ``flow`` read ``prefix``.

        :param bucket: the input bucket. A bucket defined in this app gets the CORS rule
            (once, however often it is prepared); for an imported bucket, configure CORS
            where it is defined (GET from ``allowed_origins``) and pass
            ``allowed_origins=()`` to skip it here.
        :param flow: the flow definition (anything with a ``role``) whose workers view
            the objects; its role may ``s3:GetObject`` under ``prefix`` (and
            ``kms:Decrypt`` through S3 when the bucket has a KMS key). The cdk-nag finding
            for the object wildcard is acknowledged on the role.
        :param prefix: the key prefix of the objects workers view, such as
            ``"incoming/"``. Default: the whole bucket.
        :param allowed_origins: the origins allowed to ``GET`` objects. Default: any
            (``*``), as the A2I documentation shows: the objects are still private and
            reachable only through presigned URLs.
        :param max_age: how long browsers may cache the CORS answer. Default: 1 hour.
        :returns: the grant to the flow's role.
        """
        role = getattr(flow, "role", None)
        if role is None:
            raise A2IValidationError(
                "flow must be a FlowDefinition created in this app (one with a role); an "
                f"imported flow definition's role is not known; got {flow!r}"
            )
        if prefix is not None and not is_token(prefix):
            check_length("prefix", prefix.strip("/"), 1, 1024)
        if isinstance(allowed_origins, str):
            raise A2IValidationError(
                f"allowed_origins must be a list of origins; got the string {allowed_origins!r}"
            )
        if allowed_origins:
            InputBucket._add_cors_rule(
                bucket, list(allowed_origins), max_age or _DEFAULT_CORS_MAX_AGE
            )
        pattern = f"{prefix.strip('/')}/*" if prefix else "*"
        objects = bucket.arn_for_objects(pattern)
        # s3:GetObject is all A2I needs to presign the URLs workers open: no List or
        # GetBucket* wildcards, unlike bucket.grant_read.
        grant = iam.Grant.add_to_principal(
            grantee=role, actions=["s3:GetObject"], resource_arns=[objects]
        )
        if bucket.encryption_key is not None:
            # Workers' browsers fetch the objects with URLs presigned with the role's
            # credentials, so S3 decrypts on the role's behalf: kms:Decrypt only through S3
            # in the bucket's Region (kms:ViaService), never by calling KMS directly.
            grant = grant.combine(
                iam.Grant.add_to_principal_or_resource(
                    grantee=role,
                    actions=["kms:Decrypt"],
                    resource_arns=[bucket.encryption_key.key_arn],
                    resource=bucket.encryption_key,
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{bucket.env.region}.amazonaws.com"}
                    },
                )
            )
        acknowledge_resource(
            role,
            objects,
            "A2I presigns a URL for each input object a worker opens; the objects' keys "
            f"are not known in advance, so s3:GetObject is allowed on {pattern} of the "
            "input bucket only.",
        )
        return grant

    @staticmethod
    def _add_cors_rule(bucket: s3.IBucket, allowed_origins: list[str], max_age: Duration) -> None:
        if not isinstance(bucket, s3.Bucket):
            raise A2IValidationError(
                f"{bucket.node.path}: the CORS rule workers need can only be added to a bucket "
                "defined in this app; configure CORS (GET from any origin) where the bucket is "
                "defined and call InputBucket.prepare(..., allowed_origins=())"
            )
        existing = bucket.node.try_find_child(_MARKER_ID)
        if existing is not None:
            if getattr(existing, "origins", None) != allowed_origins:
                raise A2IValidationError(
                    f"{bucket.node.path} already has the workers' CORS rule for origins "
                    f"{getattr(existing, 'origins', None)}; prepare it with the same "
                    f"allowed_origins (got {allowed_origins})"
                )
            return
        bucket.add_cors_rule(
            allowed_methods=list(WORKER_CORS_ALLOWED_METHODS),
            allowed_origins=allowed_origins,
            allowed_headers=[],
            exposed_headers=[],
            max_age=int(max_age.to_seconds()),
        )
        _CorsMarker(bucket, _MARKER_ID, allowed_origins)


class _CorsMarker(Construct):
    """Records on the bucket that the workers' CORS rule was added (synthesizes nothing)."""

    def __init__(self, scope: Construct, id: str, origins: list[str]) -> None:
        super().__init__(scope, id)
        self.origins = origins
