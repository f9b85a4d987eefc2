"""Flow definitions: how a human review runs, who does it and where its answers go.

CloudFormation has no flow-definition type, so :class:`FlowDefinition` is a custom
resource (``Custom::A2IFlowDefinition``) served by the stack's
:class:`~constructs_a2i.flow_definition_provider.FlowDefinitionProvider`.

Like aws-cdk-lib's L2s, a flow definition is an ``aws_cdk.Resource``: its
``node.default_child`` is the ``CfnResource``, ``apply_removal_policy`` works, imports know
their account and Region from the ARN, and what a consumer adds for itself (a policy
statement from a grant, an EventBridge rule with ``cross_stack_scope``) is created on the
consumer's side, so a flow in one stack serves consumers in others (nested or not).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import jsii
from aws_cdk import (
    ArnFormat,
    CfnDeletionPolicy,
    CfnOutput,
    CfnResource,
    Duration,
    IResolveContext,
    IStringProducer,
    ITaggable,
    Lazy,
    RemovalPolicy,
    Resource,
    Stack,
    TagManager,
    TagType,
    Token,
)
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct, IValidation

from constructs_a2i._resource import IResourceProtocol
from constructs_a2i.activation_conditions import (
    ActivationConditions,
    Condition,
    RequestSource,
)
from constructs_a2i.core import limits
from constructs_a2i.core.names import NAME_MAX_LENGTH, generated_name
from constructs_a2i.core.statuses import LOOP_FINAL_STATUSES
from constructs_a2i.flow_definition_provider import (
    FLOW_DEFINITION_RESOURCE_TYPE,
    SERVICE_TIMEOUT_SECONDS,
    FlowDefinitionProvider,
    ProviderSettings,
)
from constructs_a2i.human_task_ui import IHumanTaskUi
from constructs_a2i.nag import (
    acknowledge_all,
    acknowledge_compliance,
    acknowledge_resource,
    compliance_findings,
)
from constructs_a2i.task_price import TaskPrice
from constructs_a2i.validation import (
    A2IValidationError,
    check_arn_resource,
    check_int_range,
    check_length,
    check_name,
    check_tag_count,
    check_task_keywords,
    is_token,
)
from constructs_a2i.workteam import IWorkteam

__all__ = [
    "DEFAULT_OUTPUT_PREFIX",
    "HUMAN_LOOP_EVENT_SOURCE",
    "HUMAN_LOOP_FINAL_STATUSES",
    "HUMAN_LOOP_STATUS_CHANGE",
    "FlowDefinition",
    "FlowDefinitionBase",
    "IFlowDefinition",
]

HUMAN_LOOP_EVENT_SOURCE = "aws.sagemaker"
"""The EventBridge source of A2I's human-loop events."""
HUMAN_LOOP_STATUS_CHANGE = "SageMaker A2I HumanLoop Status Change"
"""The EventBridge detail-type A2I emits when a human loop completes, fails or stops."""
HUMAN_LOOP_FINAL_STATUSES = LOOP_FINAL_STATUSES
"""The statuses a human loop ends in (``core.statuses.LOOP_FINAL_STATUSES``)."""

DEFAULT_OUTPUT_PREFIX = "a2i-output"
"""The key prefix under which A2I writes ``output.json`` files by default."""

# The handler appends "-" and an 8-character per-deployment suffix to generated names.
_NAME_PREFIX_MAX_LENGTH = NAME_MAX_LENGTH - 9
_DEFAULT_TIME_LIMIT_SECONDS = 3600
# What the flow role needs on the output key. A2I writes output.json with S3 server-side
# encryption (FlowDefinitionOutputConfig.KmsKeyId is "the KMS key ID for server-side
# encryption"), so S3 calls KMS with the role's credentials: kms:GenerateDataKey for a
# PutObject, and kms:Decrypt as well for a multipart upload (Amazon S3 User Guide, "Using
# server-side encryption with AWS KMS keys (SSE-KMS)" and "Multipart upload API and
# permissions"). The A2I guide ("Permissions and Security in Amazon Augmented AI", section
# "Using Amazon A2I with AWS KMS Encrypted Buckets") shows a key policy "similar to" what is
# needed that also lists kms:Encrypt, kms:ReEncrypt*, kms:GenerateDataKey* and
# kms:DescribeKey; nothing there says A2I calls them, so they are not granted. This is
# inferred from the docs, not verified against the service: see the README's "Secure
# defaults".
_KMS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"]
# Where the output bucket's server access logs land in the access-log bucket.
_ACCESS_LOG_PREFIX = "output-bucket/"


@runtime_checkable
class IFlowDefinition(IResourceProtocol, Protocol):
    """An A2I flow definition, created here or imported: an ``IResource`` with its grants.

    Besides ``node``, ``stack``, ``env`` and ``apply_removal_policy``, every flow definition
    has the grants and the EventBridge helpers below. An import knows its output bucket,
    prefix and key only when given them
    (:meth:`FlowDefinition.from_flow_definition_attributes`).
    """

    @property
    def flow_definition_arn(self) -> str:
        """The flow definition's ARN."""
        ...

    @property
    def flow_definition_name(self) -> str:
        """The flow definition's name."""
        ...

    @property
    def output_bucket(self) -> s3.IBucket | None:
        """The bucket A2I writes results to; None when not known (an import)."""
        ...

    @property
    def output_prefix(self) -> str | None:
        """The key prefix of the results, without slashes; None when not known."""
        ...

    @property
    def encryption_key(self) -> kms.IKey | None:
        """The key that encrypts the results; None when not known or not KMS."""
        ...

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Allow ``grantee`` the SageMaker ``actions`` on this flow definition."""
        ...

    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to start human loops of this flow definition."""
        ...

    def grant_manage_human_loops(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list, describe, stop and delete human loops."""
        ...

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list and read (and decrypt) the results."""
        ...

    def grant_textract_analyze_document(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call Textract ``AnalyzeDocument`` with this flow."""
        ...

    def grant_rekognition_detect_moderation_labels(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call Rekognition ``DetectModerationLabels`` with this flow."""
        ...

    def human_loop_status_change_pattern(
        self, statuses: Sequence[str] = ...
    ) -> events.EventPattern:
        """The EventBridge pattern of this flow's human loops reaching ``statuses``."""
        ...

    def on_human_loop_status_change(
        self,
        id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Sequence[str] = ...,
        description: str | None = None,
        cross_stack_scope: Construct | None = None,
    ) -> events.Rule:
        """An EventBridge rule for this flow's human loops reaching ``statuses``."""
        ...


class FlowDefinitionBase(Resource):
    """What imported and created flow definitions share: the ARN, the name and grants.

    Grants add to the grantee's policy (where the grantee is), so they work across stacks.
    """

    @property
    def flow_definition_arn(self) -> str:
        """The flow definition's ARN."""
        raise NotImplementedError

    @property
    def flow_definition_name(self) -> str:
        """The flow definition's name."""
        raise NotImplementedError

    @property
    def output_bucket(self) -> s3.IBucket | None:
        """The bucket A2I writes results to; None when not known."""
        return None

    @property
    def output_prefix(self) -> str | None:
        """The key prefix of the results, without slashes; None when not known."""
        return None

    @property
    def encryption_key(self) -> kms.IKey | None:
        """The key that encrypts the results; None when not known or not KMS."""
        return None

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Allow ``grantee`` the SageMaker ``actions`` on this flow definition's ARN.

        ``flow.grant(role, "sagemaker:DescribeFlowDefinition")``. The statement is added to
        ``grantee``'s own policy (a flow definition has no resource policy).
        """
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.flow_definition_arn]
        )

    def grant_start_human_loop(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call ``sagemaker:StartHumanLoop`` on this flow definition."""
        return self.grant(grantee, "sagemaker:StartHumanLoop")

    def grant_manage_human_loops(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list this flow's human loops and describe, stop and delete them.

        Human-loop ARNs do not name their flow definition, so describe/stop/delete are
        granted on the human loops of the flow's account and Region (an import's: its ARN's).
        """
        grant = self.grant(grantee, "sagemaker:ListHumanLoops")
        loops = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[
                "sagemaker:DescribeHumanLoop",
                "sagemaker:StopHumanLoop",
                "sagemaker:DeleteHumanLoop",
            ],
            resource_arns=[
                self.stack.format_arn(
                    service="sagemaker",
                    resource="human-loop/*",
                    region=self.env.region,
                    account=self.env.account,
                )
            ],
        )
        return grant.combine(loops)

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list and read (and decrypt) the ``output.json`` files.

        Grants ``s3:GetObject`` on ``<bucket>/<prefix>/*``, ``s3:ListBucket`` on the bucket
        only for listings under ``<prefix>/`` (``s3:prefix``), and ``kms:Decrypt`` on the key
        only through S3 in the bucket's Region (``kms:ViaService``). With the bucket key on,
        S3 decrypts with the bucket's ARN as encryption context, so the key is not limited
        per object. An imported flow needs its bucket (and key, if KMS) given:
        :meth:`FlowDefinition.from_flow_definition_attributes`.
        """
        bucket, prefix, key = self.output_bucket, self.output_prefix, self.encryption_key
        if bucket is None or prefix is None:
            raise A2IValidationError(
                f"{self.node.path}: the output bucket of this flow definition is not known; "
                "import it with FlowDefinition.from_flow_definition_attributes(..., "
                "output_bucket=..., output_prefix=..., output_key=...) to grant reading "
                "its results"
            )
        read = iam.Grant.add_to_principal_or_resource(
            grantee=grantee,
            actions=["s3:GetObject"],
            resource_arns=[bucket.arn_for_objects(f"{prefix}/*")],
            resource=bucket,
        )
        listing = iam.Grant.add_to_principal_or_resource(
            grantee=grantee,
            actions=["s3:ListBucket"],
            resource_arns=[bucket.bucket_arn],
            resource=bucket,
            conditions={"StringLike": {"s3:prefix": [f"{prefix}/*"]}},
        )
        grant = read.combine(listing)
        if key is not None:
            grant = grant.combine(
                iam.Grant.add_to_principal_or_resource(
                    grantee=grantee,
                    actions=["kms:Decrypt"],
                    resource_arns=[key.key_arn],
                    resource=key,
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{bucket.env.region}.amazonaws.com"}
                    },
                )
            )
        return grant

    def grant_textract_analyze_document(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call Textract ``AnalyzeDocument`` with this flow's loop config.

        Grants ``textract:AnalyzeDocument`` (Textract has no resource-level permissions,
        so on ``*``) and ``sagemaker:StartHumanLoop`` on this flow definition. Reading
        the document from S3 is a separate grant on its bucket.
        """
        self._check_grant_source(RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS)
        service = iam.Grant.add_to_principal(
            grantee=grantee, actions=["textract:AnalyzeDocument"], resource_arns=["*"]
        )
        return service.combine(self.grant_start_human_loop(grantee))

    def grant_rekognition_detect_moderation_labels(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to call Rekognition ``DetectModerationLabels`` with this flow.

        Grants ``rekognition:DetectModerationLabels`` (on ``*``: the operation acts on no
        Rekognition resource) and ``sagemaker:StartHumanLoop`` on this flow definition.
        Reading the image from S3 is a separate grant on its bucket.
        """
        self._check_grant_source(RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE)
        service = iam.Grant.add_to_principal(
            grantee=grantee, actions=["rekognition:DetectModerationLabels"], resource_arns=["*"]
        )
        return service.combine(self.grant_start_human_loop(grantee))

    def _check_grant_source(self, expected: RequestSource) -> None:
        """Imported flow definitions do not know their request source: nothing to check."""

    def human_loop_status_change_pattern(
        self, statuses: Sequence[str] = HUMAN_LOOP_FINAL_STATUSES
    ) -> events.EventPattern:
        """The EventBridge pattern of this flow's human loops ending in one of ``statuses``.

        For a rule of your own, in your own scope::

            events.Rule(consumer, "Ended", event_pattern=flow.human_loop_status_change_pattern())

        :param statuses: the statuses to match, of ``Completed``, ``Failed`` and
            ``Stopped``. Default: all three.
        """
        unknown = [s for s in statuses if s not in HUMAN_LOOP_FINAL_STATUSES]
        if unknown or not statuses or isinstance(statuses, str):
            raise A2IValidationError(
                f"statuses must be 1-3 of {list(HUMAN_LOOP_FINAL_STATUSES)}; got {list(statuses)}"
            )
        return events.EventPattern(
            source=[HUMAN_LOOP_EVENT_SOURCE],
            detail_type=[HUMAN_LOOP_STATUS_CHANGE],
            detail={
                "flowDefinitionArn": [self.flow_definition_arn],
                "humanLoopStatus": list(statuses),
            },
        )

    def on_human_loop_status_change(
        self,
        id: str,
        *,
        target: events.IRuleTarget | None = None,
        statuses: Sequence[str] = HUMAN_LOOP_FINAL_STATUSES,
        description: str | None = None,
        cross_stack_scope: Construct | None = None,
    ) -> events.Rule:
        """An EventBridge rule that fires when a human loop of this flow definition ends.

        ::

            flow.on_human_loop_status_change("Finished", target=targets.SqsQueue(results))

        The rule is created in this flow definition's scope, as aws-cdk-lib's ``onEvent``
        helpers do, unless ``cross_stack_scope`` is in another stack of the same account and
        Region: then it is created there (``events.Rule``'s ``cross_stack_scope``). Pass the
        consumer (the construct that owns the target) when it may live in another stack:
        a rule here targeting a function there would make each stack depend on the other.

        :param id: the rule's construct id.
        :param target: where matching events go. Default: none (add with ``add_target``).
        :param statuses: the statuses to match, of ``Completed``, ``Failed`` and
            ``Stopped``. Default: all three.
        :param description: the rule's description. Default: one naming the flow.
        :param cross_stack_scope: the scope of the rule when it is in another stack than
            this flow definition (same account and Region). Default: none, this flow
            definition's scope even for a target in another stack.
        """
        rule = events.Rule(
            self,
            id,
            description=description or f"A2I human loops of {self.node.path} that ended",
            event_pattern=self.human_loop_status_change_pattern(statuses),
            cross_stack_scope=cross_stack_scope,
        )
        if target is not None:
            rule.add_target(target)
        return rule


@jsii.implements(IValidation)
class _TagLimits:
    """Checks the rendered tags at synth, after ``Tags.of(...)`` aspects have run."""

    def __init__(self, tags: TagManager) -> None:
        self._tags = tags

    def validate(self) -> list[str]:
        rendered = self._tags.render_tags() or []
        try:
            check_tag_count("tags", len(rendered))
            for tag in rendered:
                check_length(
                    "tag key", tag["key"] if "key" in tag else tag["Key"], *limits.TAG_KEY_LENGTH
                )
                check_length(
                    "tag value",
                    tag["value"] if "value" in tag else tag["Value"],
                    *limits.TAG_VALUE_LENGTH,
                )
        except ValueError as error:
            return [str(error)]
        return []


@jsii.implements(ITaggable)
class FlowDefinition(FlowDefinitionBase):
    """An A2I flow definition with its output bucket, encryption key and role.

    ::

        flow = FlowDefinition(stack, "Flow",
            workteam=Workteam.from_workteam_arn(stack, "Team", team_arn),
            human_task_ui=HumanTaskUi(stack, "Ui", template=TaskTemplate.from_file("t.html")),
            task_title="Review low-confidence labels",
            task_description="Confirm or correct the label the model chose",
        )
        flow.grant_start_human_loop(my_function)

    Unless given, it makes a KMS key with rotation, a versioned, KMS-encrypted,
    TLS-only output bucket with access logs, and a role that SageMaker assumes with
    ``s3:PutObject`` on the output prefix and the KMS actions A2I needs on the key.
    Every change but tags replaces the flow definition (A2I has no update API).

    It is an ``aws_cdk.Resource``: ``node.default_child`` is the ``CfnResource`` of type
    ``Custom::A2IFlowDefinition`` (``add_property_override`` reaches it), and
    :meth:`apply_removal_policy` sets its ``DeletionPolicy``, which the provider's handler
    follows (it reads the resource's ``RemovalPolicy`` property, written from the
    ``DeletionPolicy`` at synth, however it was set).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workteam: IWorkteam,
        human_task_ui: IHumanTaskUi,
        task_title: str,
        task_description: str,
        task_count: int = 1,
        task_availability_lifetime: Duration | None = None,
        task_time_limit: Duration | None = None,
        task_keywords: Sequence[str] | None = None,
        flow_definition_name: str | None = None,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str = DEFAULT_OUTPUT_PREFIX,
        encryption_key: kms.IKey | None = None,
        role: iam.IRole | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.DESTROY,
        request_source: RequestSource | str | None = None,
        activation_conditions: (
            ActivationConditions | Condition | Sequence[Condition] | None
        ) = None,
        arn_output: bool = True,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        provider_log_group_encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param workteam: who reviews the tasks.
        :param human_task_ui: the worker task template.
        :param task_title: shown to workers, 1-128 characters.
        :param task_description: shown to workers, 1-255 characters.
        :param task_count: how many workers review each object, 1-3. Default: 1.
        :param task_availability_lifetime: how long a task waits for a worker; at most
            10 days (12 hours for the public crowd). Default: the service's (1 day for
            private teams).
        :param task_time_limit: how long a worker may take, 30 s to 8 h. Default: 1 hour.
        :param task_keywords: 1-5 keywords that help workers find tasks. Default: none.
        :param flow_definition_name: a fixed name. Default: generated from the construct
            path, with a new suffix each time a change replaces the flow definition. With
            a fixed name, a change that needs replacement fails the deployment.
        :param output_bucket: where A2I writes results. Default: a new secure bucket.
        :param output_prefix: the key prefix of the results. Default: ``a2i-output``.
        :param encryption_key: encrypts results (and a new bucket). Default: a new key
            with rotation.
        :param role: the role SageMaker assumes. Default: a new least-privilege role.
        :param removal_policy: what happens to the flow definition when it leaves the
            stack (the same as :meth:`apply_removal_policy`): DESTROY, RETAIN or
            RETAIN_ON_UPDATE_OR_DELETE. Default: DESTROY (results in S3 are kept by the
            bucket's own policy).
        :param request_source: the AWS service that starts human loops by itself
            (:class:`~constructs_a2i.activation_conditions.RequestSource`). Default: none,
            a custom task started with ``StartHumanLoop``.
        :param activation_conditions: when the service starts a human loop (only with a
            ``request_source``). Default: none, every call with the flow's
            ``HumanLoopConfig`` starts one.
        :param arn_output: add a stack output (``CfnOutput``) with the flow definition's
            ARN, described as ``ARN of the A2I flow definition <construct path>``: what
            ``a2i --stack`` reads. A stack holds at most 200 outputs; with False there is
            none, and the ``a2i`` command needs ``--flow``. Default: True.
        :param vpc: the VPC the stack's flow-definition provider function runs in. One
            function serves every flow definition of a stack, so all of them must give the
            same ``vpc``, ``vpc_subnets``, ``security_groups`` and
            ``provider_log_group_encryption_key`` (a difference fails the synth, naming
            both flows). Its subnets need a route to the SageMaker API and to S3 (the handler
            answers CloudFormation's presigned S3 URL): a NAT gateway, or a ``sagemaker.api``
            interface endpoint and an S3 gateway endpoint. Default: none (Lambda's own
            network).
        :param vpc_subnets: the provider function's subnets in ``vpc``. Default: the VPC's
            private subnets.
        :param security_groups: the provider function's security groups. Default: a new
            group that allows all outbound traffic.
        :param provider_log_group_encryption_key: a KMS key that encrypts the provider
            function's log group; a key of this app gets the key-policy statement that lets
            CloudWatch Logs use it. Default: CloudWatch Logs' own encryption.

        A public-crowd work team's ``task_price`` must be one AWS lists for the flow's
        task type: custom, Textract forms or Rekognition moderation.
        """
        super().__init__(scope, id)
        node_path = self.node.path
        _check_props(
            workteam=workteam,
            task_title=task_title,
            task_description=task_description,
            task_count=task_count,
            task_availability_lifetime=task_availability_lifetime,
            task_time_limit=task_time_limit,
            task_keywords=task_keywords,
            flow_definition_name=flow_definition_name,
            output_prefix=output_prefix,
        )
        self._request_source, self._activation_conditions, task_price = _check_integration(
            workteam, request_source, activation_conditions
        )
        self._tags = TagManager(TagType.KEY_VALUE, FLOW_DEFINITION_RESOURCE_TYPE)
        self.node.add_validation(_TagLimits(self._tags))

        self._encryption_key = encryption_key or kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description=f"Encrypts the human review results of {node_path}",
        )
        self._output_bucket = output_bucket or self._make_output_bucket(self._encryption_key)
        self._output_prefix = output_prefix.strip("/")
        # The trust policy has no aws:SourceAccount/aws:SourceArn condition: SageMaker's
        # "Cross-service confused deputy prevention" page documents those keys for training,
        # processing, batch transform, inference, pipelines, Studio and others, not for A2I
        # flow definitions, and the A2I guide's trust policy has no condition. A condition on
        # a key SageMaker does not send would stop it assuming the role. Pass your own `role`
        # to add them once verified in your account.
        self._role = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Assumed by Amazon A2I for the flow definition {node_path}",
        )
        output_objects = self._output_bucket.arn_for_objects(f"{self._output_prefix}/*")
        key_arn = self._encryption_key.key_arn
        self._role.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[output_objects])
        )
        self._role.add_to_principal_policy(
            iam.PolicyStatement(actions=_KMS_ACTIONS, resources=[key_arn])
        )

        if role is None:
            acknowledge_compliance(
                self._role,
                "IAMNoInlinePolicy",
                "The aws-cdk-lib pattern: grants add least-privilege statements to the role's "
                "own policy (DefaultPolicy), attached to this one role; a managed policy would "
                "hold the same statements and could be attached to other principals.",
            )
            acknowledge_resource(
                self._role,
                output_objects,
                "A2I writes each human loop's output.json under a key it chooses below the "
                f"output prefix, so s3:PutObject is allowed on <bucket>/{self._output_prefix}/*"
                " only.",
            )

        provider = FlowDefinitionProvider.of(
            self,
            ProviderSettings.of(
                vpc=vpc,
                vpc_subnets=vpc_subnets,
                security_groups=security_groups,
                log_group_encryption_key=provider_log_group_encryption_key,
            ),
        )
        provider.grant_pass_role(self._role)
        provider.grant_flow_definition(flow_definition_name)

        human_loop_config: dict[str, Any] = {
            "WorkteamArn": workteam.workteam_arn,
            "HumanTaskUiArn": human_task_ui.human_task_ui_arn,
            "TaskTitle": task_title,
            "TaskDescription": task_description,
            "TaskCount": task_count,
            "TaskTimeLimitInSeconds": (
                int(task_time_limit.to_seconds())
                if task_time_limit is not None
                else _DEFAULT_TIME_LIMIT_SECONDS
            ),
        }
        if task_availability_lifetime is not None:
            human_loop_config["TaskAvailabilityLifetimeInSeconds"] = int(
                task_availability_lifetime.to_seconds()
            )
        if task_keywords:
            human_loop_config["TaskKeywords"] = list(task_keywords)
        if task_price is not None:
            human_loop_config["PublicWorkforceTaskPrice"] = (
                task_price.to_public_workforce_task_price()
            )
        definition: dict[str, Any] = {
            "RoleArn": self._role.role_arn,
            "HumanLoopConfig": human_loop_config,
            "OutputConfig": {
                "S3OutputPath": self._output_bucket.s3_url_for_object(self._output_prefix),
                "KmsKeyId": key_arn,
            },
        }
        if self._request_source is not None:
            definition["HumanLoopRequestSource"] = {
                "AwsManagedHumanLoopRequestSource": self._request_source.value
            }
        if self._activation_conditions is not None:
            definition["HumanLoopActivationConfig"] = {
                "HumanLoopActivationConditionsConfig": {
                    "HumanLoopActivationConditions": self._activation_conditions.to_json()
                }
            }
        properties: dict[str, Any] = {
            "ServiceToken": provider.service_token,
            "ServiceTimeout": str(SERVICE_TIMEOUT_SECONDS),
            "Definition": definition,
            "Tags": self._tags.rendered_tags,
            # The handler's word for the resource's DeletionPolicy, read at synth.
            "RemovalPolicy": Lazy.uncached_string(_HandlerRemovalPolicy(self)),
        }
        if flow_definition_name is not None:
            properties["FlowDefinitionName"] = flow_definition_name
        else:
            properties["FlowDefinitionNamePrefix"] = generated_name(
                node_path, _NAME_PREFIX_MAX_LENGTH
            )

        # The L1 itself at "Resource" (the CustomResource L2 put it one level down, at
        # Resource/Default: the same logical id, since CDK leaves "Default" out of it).
        self._resource = CfnResource(
            self, "Resource", type=FLOW_DEFINITION_RESOURCE_TYPE, properties=properties
        )
        self.apply_removal_policy(removal_policy)
        # SageMaker checks the role when the flow is created: give it its policy first.
        self._resource.node.add_dependency(self._role)
        self._flow_definition_arn = Token.as_string(self._resource.get_att("FlowDefinitionArn"))
        self._flow_definition_name = Token.as_string(self._resource.get_att("FlowDefinitionName"))
        if arn_output:
            CfnOutput(
                self,
                "FlowDefinitionArn",
                value=self._flow_definition_arn,
                description=f"ARN of the A2I flow definition {node_path}",
            )

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """What happens to the flow definition when it leaves the stack or is replaced.

        DESTROY deletes it; RETAIN and RETAIN_ON_UPDATE_OR_DELETE keep it (CloudFormation
        does not call the handler for a retained resource; a flow definition that ended
        ``Failed`` is deleted on rollback all the same). SNAPSHOT is refused: a flow
        definition has none.
        """
        _handler_removal_policy(policy)
        super().apply_removal_policy(policy)

    def _make_output_bucket(self, key: kms.IKey) -> s3.IBucket:
        access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=_block_all(),
            enforce_ssl=True,
            versioned=True,
            # ACLs off: S3 delivers the logs under the bucket policy _deliver_access_logs adds.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=_access_log_lifecycle(),
        )
        acknowledge_all(
            access_logs,
            {
                "AwsSolutions-S1": "This is the output bucket's server access log bucket; "
                "logging its own access would recurse.",
                **compliance_findings(
                    "S3DefaultEncryptionKMS",
                    "These server access logs hold request metadata, not review results, and "
                    "S3's logging service writes them; SSE-S3 spares a key policy for that "
                    "service and a KMS request per log object. Pass your own output_bucket to "
                    "choose its logging.",
                ),
                **compliance_findings(
                    "S3BucketReplicationEnabled",
                    "Replication needs a destination bucket in another Region or account, "
                    "which is the user's to choose; these access logs are versioned and kept "
                    "for a year.",
                ),
            },
        )
        output = s3.Bucket(
            self,
            "OutputBucket",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=_block_all(),
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=_output_lifecycle(),
        )
        _deliver_access_logs(output, access_logs, _ACCESS_LOG_PREFIX)
        acknowledge_compliance(
            output,
            "S3BucketReplicationEnabled",
            "Replication needs a destination bucket in another Region or account, which is the "
            "user's to choose: pass an output_bucket with replication configured to have it.",
        )
        return output

    @property
    def tags(self) -> TagManager:
        """The flow definition's tags; ``Tags.of(...)`` reaches them."""
        return self._tags

    @property
    def flow_definition_arn(self) -> str:
        """The flow definition's ARN (known at deploy time)."""
        return self._flow_definition_arn

    @property
    def flow_definition_name(self) -> str:
        """The flow definition's name (known at deploy time)."""
        return self._flow_definition_name

    @property
    def output_bucket(self) -> s3.IBucket:
        """The bucket A2I writes results to."""
        return self._output_bucket

    @property
    def output_prefix(self) -> str:
        """The key prefix of the results, without slashes at either end."""
        return self._output_prefix

    @property
    def encryption_key(self) -> kms.IKey:
        """The key that encrypts the results."""
        return self._encryption_key

    @property
    def role(self) -> iam.IRole:
        """The role SageMaker assumes for this flow definition."""
        return self._role

    @property
    def resource(self) -> CfnResource:
        """The ``Custom::A2IFlowDefinition`` resource, also ``node.default_child`` (an
        escape hatch)."""
        return self._resource

    @property
    def request_source(self) -> RequestSource | None:
        """The AWS service that starts this flow's human loops; None for custom tasks."""
        return self._request_source

    @property
    def activation_conditions(self) -> ActivationConditions | None:
        """When the request source starts a human loop; None: on every call."""
        return self._activation_conditions

    def _check_grant_source(self, expected: RequestSource) -> None:
        if self._request_source is not expected:
            have = (
                f"request_source {self._request_source.name}"
                if self._request_source is not None
                else "no request_source (a custom task)"
            )
            raise A2IValidationError(
                f"{self.node.path} has {have}; grant_{_GRANT_NAMES[expected]} is only for "
                f"flow definitions with request_source=RequestSource.{expected.name}"
            )

    def grant_read_results(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allow ``grantee`` to list and read (and decrypt) the ``output.json`` files.

        Grants ``s3:GetObject`` on ``<bucket>/<prefix>/*``, ``s3:ListBucket`` on the bucket
        only for listings under ``<prefix>/`` (``s3:prefix``), and ``kms:Decrypt`` on the key
        only through S3 in the bucket's Region (``kms:ViaService``). With the bucket key on,
        S3 decrypts with the bucket's ARN as encryption context, so the key is not limited
        per object.
        """
        return super().grant_read_results(grantee)

    @classmethod
    def from_flow_definition_arn(
        cls, scope: Construct, id: str, flow_definition_arn: str
    ) -> IFlowDefinition:
        """Import an existing flow definition by its ARN (``...:flow-definition/<name>``).

        Its ``env`` is the ARN's account and Region. It cannot grant reading its results
        (its output bucket is not known): see :meth:`from_flow_definition_attributes`.
        """
        return cls.from_flow_definition_attributes(
            scope, id, flow_definition_arn=flow_definition_arn
        )

    @classmethod
    def from_flow_definition_attributes(
        cls,
        scope: Construct,
        id: str,
        *,
        flow_definition_arn: str,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        output_key: kms.IKey | None = None,
    ) -> IFlowDefinition:
        """Import an existing flow definition by its ARN, with where its results are.

        ::

            flow = FlowDefinition.from_flow_definition_attributes(stack, "Review",
                flow_definition_arn=arn,
                output_bucket=s3.Bucket.from_bucket_name(stack, "Results", "my-results"),
                output_prefix="reviews",
                output_key=kms.Key.from_key_arn(stack, "Key", key_arn),
            )
            flow.grant_read_results(reader)
            HumanLoopResults(stack, "Results", flow_definition=flow, destination=queue)

        :param flow_definition_arn: its ARN; ``env`` is its account and Region.
        :param output_bucket: the bucket of its ``S3OutputPath``. Default: not known
            (``grant_read_results`` and ``HumanLoopResults`` then refuse it).
        :param output_prefix: the key prefix of its ``S3OutputPath``. Default:
            ``a2i-output`` (the default of :class:`FlowDefinition`) when a bucket is given.
        :param output_key: its ``KmsKeyId``. Default: the bucket's ``encryption_key``, if
            any; otherwise none, and no ``kms:Decrypt`` is granted (results under S3-managed
            encryption).
        """
        check_arn_resource(
            "flow_definition_arn", flow_definition_arn, "sagemaker", "flow-definition"
        )
        if output_bucket is None and (output_prefix is not None or output_key is not None):
            raise A2IValidationError(
                "output_prefix and output_key describe the output bucket: give output_bucket "
                "as well"
            )
        prefix: str | None = None
        if output_bucket is not None:
            prefix = (output_prefix if output_prefix is not None else DEFAULT_OUTPUT_PREFIX).strip(
                "/"
            )
            if not is_token(prefix):
                check_length("output_prefix", prefix, 1, limits.S3_OUTPUT_PATH_MAX_LENGTH)
        name = (
            Stack.of(scope)
            .split_arn(flow_definition_arn, ArnFormat.SLASH_RESOURCE_NAME)
            .resource_name
        )
        key = output_key
        if key is None and output_bucket is not None:
            key = output_bucket.encryption_key
        return _ImportedFlowDefinition(
            scope,
            id,
            flow_definition_arn,
            name or "",
            output_bucket=output_bucket,
            output_prefix=prefix,
            encryption_key=key,
        )

    @classmethod
    def from_flow_definition_name(
        cls, scope: Construct, id: str, flow_definition_name: str
    ) -> IFlowDefinition:
        """Import an existing flow definition of this account and Region by name."""
        check_name("flow_definition_name", flow_definition_name)
        arn = Stack.of(scope).format_arn(
            service="sagemaker",
            resource="flow-definition",
            resource_name=flow_definition_name,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        return _ImportedFlowDefinition(scope, id, arn, flow_definition_name)


class _ImportedFlowDefinition(FlowDefinitionBase):
    def __init__(
        self,
        scope: Construct,
        id: str,
        arn: str,
        name: str,
        *,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str | None = None,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        # Its account and Region are its ARN's.
        super().__init__(scope, id, environment_from_arn=arn)
        self._arn = arn
        self._name = name
        self._output_bucket = output_bucket
        self._output_prefix = output_prefix
        self._encryption_key = encryption_key

    @property
    def flow_definition_arn(self) -> str:
        return self._arn

    @property
    def flow_definition_name(self) -> str:
        return self._name

    @property
    def output_bucket(self) -> s3.IBucket | None:
        return self._output_bucket

    @property
    def output_prefix(self) -> str | None:
        return self._output_prefix

    @property
    def encryption_key(self) -> kms.IKey | None:
        return self._encryption_key


@jsii.implements(IStringProducer)
class _HandlerRemovalPolicy:
    """The flow's ``RemovalPolicy`` property: the handler's word for its DeletionPolicy.

    Read at synth, so it follows the DeletionPolicy however it was set: the
    ``removal_policy`` prop, ``apply_removal_policy``, ``RemovalPolicies.of(...)`` or
    ``cfn_options`` on the ``CfnResource``.
    """

    def __init__(self, flow: FlowDefinition) -> None:
        self._flow = flow

    def produce(self, context: IResolveContext) -> str:
        policy = self._flow.resource.cfn_options.deletion_policy
        if policy in (CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE):
            return "retain"
        if policy in (None, CfnDeletionPolicy.DELETE):
            return "destroy"
        raise A2IValidationError(
            f"{self._flow.node.path}: DeletionPolicy {policy} is not one a flow definition "
            "can have (it has no snapshot); use DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE"
        )


# Settings every output bucket shares, made once per process: each value made in the jsii
# kernel is a round trip, and a stack can hold dozens of flows.
@functools.cache
def _block_all() -> s3.BlockPublicAccess:
    return s3.BlockPublicAccess.BLOCK_ALL


@functools.cache
def _access_log_lifecycle() -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id="ExpireAccessLogs",
            expiration=Duration.days(365),
            noncurrent_version_expiration=Duration.days(30),
        )
    ]


@functools.cache
def _output_lifecycle() -> list[s3.LifecycleRule]:
    return [
        s3.LifecycleRule(
            id="ExpireNoncurrentVersions",
            noncurrent_version_expiration=Duration.days(90),
            abort_incomplete_multipart_upload_after=Duration.days(7),
        )
    ]


def _deliver_access_logs(source: s3.Bucket, target: s3.Bucket, prefix: str) -> None:
    """Send ``source``'s server access logs to ``target`` under a bucket policy, not an ACL.

    Amazon S3 User Guide, "Enabling Amazon S3 server access logging", "Permissions for log
    delivery": a target bucket with Object Ownership ``BucketOwnerEnforced`` (ACLs off) lets
    the logging service principal ``logging.s3.amazonaws.com`` ``s3:PutObject`` under the log
    prefix by bucket policy, limited to the source bucket with ``aws:SourceArn`` and
    ``aws:SourceAccount``. aws-cdk-lib writes that statement for ``server_access_logs_bucket``
    only under the feature flag ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` and
    otherwise grants the log-delivery group an ACL, so the statement and the bucket's
    ``LoggingConfiguration`` are written here: the same template whatever the app's flags.
    """
    target.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[target.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": source.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(source).account},
            },
        )
    )
    cfn_bucket = source.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=target.bucket_name, log_file_prefix=prefix
    )


def _handler_removal_policy(policy: RemovalPolicy) -> str:
    """The handler's word for ``policy`` (``retain`` keeps the flow definition); refuses
    SNAPSHOT."""
    if policy in (RemovalPolicy.RETAIN, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE):
        return "retain"
    if policy == RemovalPolicy.DESTROY:
        return "destroy"
    raise A2IValidationError(
        f"removal_policy must be DESTROY, RETAIN or RETAIN_ON_UPDATE_OR_DELETE; got {policy}"
        " (a flow definition has no snapshot)"
    )


_GRANT_NAMES = {
    RequestSource.TEXTRACT_ANALYZE_DOCUMENT_FORMS: "textract_analyze_document",
    RequestSource.REKOGNITION_DETECT_MODERATION_LABELS_IMAGE: (
        "rekognition_detect_moderation_labels"
    ),
}


def _check_integration(
    workteam: IWorkteam,
    request_source: RequestSource | str | None,
    activation_conditions: ActivationConditions | Condition | Sequence[Condition] | None,
) -> tuple[RequestSource | None, ActivationConditions | None, TaskPrice | None]:
    """The request source, activation conditions and task price, checked together."""
    source = RequestSource.of(request_source) if request_source is not None else None
    conditions: ActivationConditions | None
    if activation_conditions is None or isinstance(activation_conditions, ActivationConditions):
        conditions = activation_conditions
    elif isinstance(activation_conditions, Condition):
        conditions = ActivationConditions(activation_conditions)
    else:
        conditions = ActivationConditions(*activation_conditions)
    if conditions is not None:
        conditions.check_for(source)
    # Work teams written before task prices existed have no task_price attribute.
    price: TaskPrice | None = getattr(workteam, "task_price", None)
    if workteam.is_public_crowd:
        if price is None:
            raise A2IValidationError(
                "workteam is the public crowd but has no task_price: the public crowd is paid "
                "per task; use Workteam.public_crowd(scope, id, task_price=TaskPrice.usd(...))"
            )
        price.check_for(source, "workteam.task_price")
    elif price is not None:
        raise A2IValidationError(
            f"workteam.task_price must be None for a private or vendor team (only the public "
            f"crowd is paid per task); got {price}"
        )
    return source, conditions, price


def _seconds(duration: Duration | None) -> int | None:
    if duration is None or is_token(duration):
        return None
    return int(duration.to_seconds())


def _check_props(
    *,
    workteam: IWorkteam,
    task_title: str,
    task_description: str,
    task_count: int,
    task_availability_lifetime: Duration | None,
    task_time_limit: Duration | None,
    task_keywords: Sequence[str] | None,
    flow_definition_name: str | None,
    output_prefix: str,
) -> None:
    check_arn_resource("workteam.workteam_arn", workteam.workteam_arn, "sagemaker", "workteam")
    check_length("task_title", task_title, *limits.TASK_TITLE_LENGTH)
    check_length("task_description", task_description, *limits.TASK_DESCRIPTION_LENGTH)
    check_int_range("task_count", task_count, *limits.TASK_COUNT_RANGE)
    time_limit = _seconds(task_time_limit)
    if time_limit is not None:
        check_int_range("task_time_limit (seconds)", time_limit, *limits.TASK_TIME_LIMIT_RANGE)
    lifetime = _seconds(task_availability_lifetime)
    if lifetime is not None:
        cap = (
            limits.PUBLIC_TASK_AVAILABILITY_MAX_SECONDS
            if workteam.is_public_crowd
            else limits.PRIVATE_TASK_AVAILABILITY_MAX_SECONDS
        )
        team = "the public crowd" if workteam.is_public_crowd else "a private or vendor team"
        check_int_range(f"task_availability_lifetime (seconds, for {team})", lifetime, 1, cap)
    if task_keywords is not None:
        check_task_keywords("task_keywords", task_keywords)
    if flow_definition_name is not None:
        check_name("flow_definition_name", flow_definition_name)
    if not is_token(output_prefix):
        # s3://<bucket (<= 63)>/<prefix> must stay within S3OutputPath's 1024 characters.
        check_length(
            "output_prefix",
            output_prefix.strip("/"),
            1,
            limits.S3_OUTPUT_PATH_MAX_LENGTH - len("s3://") - 64,
        )
