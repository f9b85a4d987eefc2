"""A private work team of your own reviewers, signed in through Amazon Cognito.

:class:`PrivateWorkteam` makes the whole chain A2I needs: a Cognito user pool (or uses
yours), its domain, an app client with the OAuth settings of SageMaker's worker portal,
a user group for the reviewers, the private workforce (``AWS::SageMaker::Workforce``)
and the work team (``AWS::SageMaker::Workteam``)::

    team = PrivateWorkteam(stack, "Reviewers", reviewer_emails=["ana@example.com"])
    team.add_reviewer("ben@example.com")
    FlowDefinition(stack, "Flow", workteam=team, ...)

**One workforce per account and Region.** SageMaker allows a single private workforce
in each account and Region, shared by every work team (and by Ground Truth). Only one
stack may create it; every other team joins it with ``existing_workforce=True`` and the
workforce's own user pool and app client.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import (
    Aws,
    CfnOutput,
    Duration,
    Fn,
    IAnyProducer,
    IResolveContext,
    Lazy,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import custom_resources as cr
from constructs import Construct

from constructs_a2i.core.names import generated_name, hash_suffix
from constructs_a2i.nag import acknowledge_compliance
from constructs_a2i.packaged_function import check_vpc_props, package_log_group
from constructs_a2i.task_price import TaskPrice
from constructs_a2i.validation import (
    A2IValidationError,
    check_cidrs,
    check_email,
    check_length,
    check_name,
    is_token,
)
from constructs_a2i.workteam import WorkteamBase

__all__ = [
    "MAX_SOURCE_IP_CIDRS",
    "WORKER_PORTAL_OAUTH_FLOWS",
    "WORKER_PORTAL_OAUTH_SCOPES",
    "PrivateWorkteam",
]

MAX_SOURCE_IP_CIDRS = 10
"""A private workforce accepts up to ten CIDR blocks in its source IP restriction."""

WORKER_PORTAL_OAUTH_FLOWS = ("code", "implicit")
"""The OAuth flows of the app client SageMaker's console makes for a private workforce."""

WORKER_PORTAL_OAUTH_SCOPES = ("email", "openid", "profile")
"""The OAuth scopes of the app client SageMaker's console makes for a private workforce."""

# The app client must name the worker portal's URLs, which exist only once the
# workforce does; until the client is updated it names this harmless placeholder.
_PLACEHOLDER_URL = "https://localhost"
# The app client's properties UpdateUserPoolClient does not take.
_NOT_UPDATABLE = frozenset({"GenerateSecret"})
_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_RESERVED_IN_DOMAIN = ("aws", "amazon", "cognito")
_INVITATION_SUBJECT = "You are invited to review tasks with Amazon Augmented AI"
_INVITATION_BODY = (
    "You have been added as a reviewer of Amazon Augmented AI (A2I) human review tasks.<br>"
    "Your username is {username} and your temporary password is {####}<br>"
    "Sign in at the worker portal URL your administrator sends you (the WorkerPortalUrl "
    "output of the stack). You will choose a new password and set up an authenticator app."
)


class PrivateWorkteam(WorkteamBase):
    """A private work team on Amazon Cognito, with its workforce, made whole.

    ::

        team = PrivateWorkteam(stack, "Reviewers",
            reviewer_emails=["ana@example.com", "ben@example.com"],
            allowed_source_ip_cidrs=["203.0.113.0/24"],
        )
        team.workteam_arn   # for FlowDefinition(workteam=team) or elsewhere
        team.user_pool      # the Cognito user pool of the reviewers

    By default it creates a user pool with secure defaults (no self sign-up, email
    sign-in, a strong password policy, MFA with an authenticator app required, the
    Plus feature plan with threat protection enforced), its Cognito domain, an app
    client with a secret and the OAuth flows and scopes the worker portal uses, a user
    group, the private workforce and the work team. After the workforce exists, the
    app client is pointed at the worker portal (``https://<subdomain>/oauth2/idpresponse``
    and ``/logout``) by a small custom resource.

    Only one workforce may exist per account and Region: set ``existing_workforce=True``
    (with the workforce's ``user_pool`` and ``user_pool_client``) to add a team to it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        description: str | None = None,
        workteam_name: str | None = None,
        reviewer_emails: Sequence[str] = (),
        user_pool: cognito.IUserPool | None = None,
        user_pool_client: cognito.IUserPoolClient | None = None,
        domain_prefix: str | None = None,
        user_group_name: str | None = None,
        existing_workforce: bool = False,
        workforce_name: str | None = None,
        allowed_source_ip_cidrs: Sequence[str] | None = None,
        notification_topic: sns.ITopic | None = None,
        mfa: cognito.Mfa = cognito.Mfa.REQUIRED,
        feature_plan: cognito.FeaturePlan = cognito.FeaturePlan.PLUS,
        user_pool_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        outputs: bool = True,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        log_group_encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param description: the work team's description, 1-200 characters. Default: one
            naming the construct.
        :param workteam_name: the work team's name (1-63 letters, digits and hyphens).
            Default: generated from the construct path.
        :param reviewer_emails: reviewers to invite now; add more with
            :meth:`add_reviewer`. Default: none.
        :param user_pool: an existing user pool. Default: a new one with secure defaults.
        :param user_pool_client: an existing app client of ``user_pool``, already set up
            for the worker portal. Default: a new one, pointed at the portal once the
            workforce exists.
        :param domain_prefix: the Cognito domain prefix
            (``<prefix>.auth.<region>.amazoncognito.com``).
            Default: generated and unique per stack for a new user pool; no domain is
            created for a pool you bring unless you give a prefix (the pool must have one).
        :param user_group_name: the reviewers' Cognito group. Default: generated.
        :param existing_workforce: True when the account and Region already have a private
            workforce: no workforce is created and ``user_pool`` and ``user_pool_client``
            (the workforce's) are required. Default: False, a workforce is created.
        :param workforce_name: the workforce's name (created or existing). Default:
            generated for a new workforce; the account's workforce for an existing one.
        :param allowed_source_ip_cidrs: 1-10 IPv4 CIDR blocks workers must sign in from
            (a setting of the workforce, so only when it is created here). Default: any.
        :param notification_topic: an SNS topic SageMaker notifies the team through; a
            publish permission for SageMaker is added to the topic. SageMaker sends these
            notifications for Ground Truth labeling jobs only, not for A2I tasks.
            Default: none.
        :param mfa: MFA for a new user pool. Default: REQUIRED (an authenticator app).
        :param feature_plan: the feature plan of a new user pool. Default: PLUS, with
            threat protection enforced.
        :param user_pool_removal_policy: what happens to a new user pool (and its
            reviewers' accounts) when it leaves the stack. Default: RETAIN.
        :param outputs: add stack outputs (``CfnOutput``) with the worker portal's URL
            (``WorkerPortalUrl``, for a workforce created here) and the work team's ARN
            (``WorkteamArn``). A stack holds at most 200 outputs; with False there are none
            and :attr:`worker_portal_url` and :attr:`workteam_arn` still hold both.
            Default: True.
        :param vpc: the VPC of the custom resource that points the app client at the
            worker portal (aws-cdk-lib's ``AwsCustomResource``, whose one function per stack
            is shared by every ``AwsCustomResource`` of the stack and takes the VPC of the
            first). Its subnets need a route to Cognito's user pools API (``cognito-idp``) and
            to S3 (CloudFormation's presigned response URL). Default: none.
        :param vpc_subnets: its subnets in ``vpc``. Default: the VPC's private subnets.
        :param log_group_encryption_key: a KMS key that encrypts that custom resource's log
            group; a key of this app gets the key-policy statement that lets CloudWatch Logs
            use it. Default: CloudWatch Logs' own encryption.
        """
        super().__init__(scope, id)
        path = self.node.path
        check_vpc_props(path, vpc, vpc_subnets, None)
        self._vpc = vpc
        self._vpc_subnets = vpc_subnets
        self._log_group_encryption_key = log_group_encryption_key
        _check_props(
            description=description,
            workteam_name=workteam_name,
            user_pool=user_pool,
            user_pool_client=user_pool_client,
            domain_prefix=domain_prefix,
            existing_workforce=existing_workforce,
            workforce_name=workforce_name,
            allowed_source_ip_cidrs=allowed_source_ip_cidrs,
        )
        if isinstance(reviewer_emails, str):
            raise A2IValidationError(
                f"reviewer_emails must be a list of email addresses; got the string "
                f"{reviewer_emails!r}"
            )
        self._reviewers: dict[str, cognito.CfnUserPoolUser] = {}
        self._user_pool = user_pool or self._make_user_pool(mfa, feature_plan)
        if user_pool is None:
            self._user_pool.apply_removal_policy(user_pool_removal_policy)

        self._user_pool_domain: cognito.UserPoolDomain | None = None
        if user_pool is None or domain_prefix is not None:
            self._user_pool_domain = cognito.UserPoolDomain(
                self,
                "Domain",
                user_pool=self._user_pool,
                cognito_domain=cognito.CognitoDomainOptions(
                    domain_prefix=domain_prefix or _default_domain_prefix(path)
                ),
            )

        client_name = generated_name(path, 128)
        self._owns_client = user_pool_client is None
        self._user_pool_client = user_pool_client or self._make_client(client_name)

        self._user_group = cognito.UserPoolGroup(
            self,
            "ReviewersGroup",
            user_pool=self._user_pool,
            group_name=user_group_name,
            description=f"Amazon A2I reviewers of the work team {path}"[:2048],
        )

        self._workforce: sagemaker.CfnWorkforce | None = None
        self._worker_portal_url: str | None = None
        if not existing_workforce:
            self._workforce = self._make_workforce(
                workforce_name or generated_name(path, 63), allowed_source_ip_cidrs
            )
            self._worker_portal_url = f"https://{self._workforce.attr_sub_domain}"
            if self._owns_client:
                self._point_client_at_portal()
        if outputs and self._worker_portal_url is not None:
            CfnOutput(
                self,
                "WorkerPortalUrl",
                value=self._worker_portal_url,
                description=f"Where the reviewers of {path} sign in",
            )

        if notification_topic is not None:
            notification_topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="AwsSagemakerSnsAccessPolicy",
                    principals=[iam.ServicePrincipal("sagemaker.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[notification_topic.topic_arn],
                )
            )

        self._resource = sagemaker.CfnWorkteam(
            self,
            "Resource",
            description=description or f"Amazon A2I reviewers ({path})"[:200],
            workteam_name=workteam_name or generated_name(path, 63),
            workforce_name=self._workforce.workforce_name
            if self._workforce is not None
            else workforce_name,
            member_definitions=[
                sagemaker.CfnWorkteam.MemberDefinitionProperty(
                    cognito_member_definition=sagemaker.CfnWorkteam.CognitoMemberDefinitionProperty(
                        cognito_client_id=self._user_pool_client.user_pool_client_id,
                        cognito_user_group=self._user_group.group_name,
                        cognito_user_pool=self._user_pool.user_pool_id,
                    )
                )
            ],
            notification_configuration=sagemaker.CfnWorkteam.NotificationConfigurationProperty(
                notification_topic_arn=notification_topic.topic_arn
            )
            if notification_topic is not None
            else None,
        )
        if self._workforce is not None:
            self._resource.node.add_dependency(self._workforce)
        self._workteam_arn = self._resource.attr_workteam_arn
        self._workteam_name = self._resource.attr_workteam_name
        if outputs:
            CfnOutput(
                self,
                "WorkteamArn",
                value=self._workteam_arn,
                description=f"ARN of the team {path}",
            )

        for email in reviewer_emails:
            self.add_reviewer(email)

    def _make_user_pool(
        self, mfa: cognito.Mfa, feature_plan: cognito.FeaturePlan
    ) -> cognito.UserPool:
        plus = feature_plan == cognito.FeaturePlan.PLUS
        return cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(7),
            ),
            mfa=mfa,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False)
            if mfa != cognito.Mfa.OFF
            else None,
            feature_plan=feature_plan,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION
            if plus
            else None,
            user_invitation=cognito.UserInvitationConfig(
                email_subject=_INVITATION_SUBJECT, email_body=_INVITATION_BODY
            ),
        )

    def _make_client(self, client_name: str) -> cognito.UserPoolClient:
        return cognito.UserPoolClient(
            self,
            "AppClient",
            user_pool=self._user_pool,
            user_pool_client_name=client_name,
            generate_secret=True,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=True),
                scopes=[
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=[_PLACEHOLDER_URL],
                logout_urls=[_PLACEHOLDER_URL],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
        )

    def _make_workforce(self, name: str, cidrs: Sequence[str] | None) -> sagemaker.CfnWorkforce:
        workforce = sagemaker.CfnWorkforce(
            self,
            "Workforce",
            workforce_name=name,
            cognito_config=sagemaker.CfnWorkforce.CognitoConfigProperty(
                client_id=self._user_pool_client.user_pool_client_id,
                user_pool=self._user_pool.user_pool_id,
            ),
            source_ip_config=sagemaker.CfnWorkforce.SourceIpConfigProperty(cidrs=list(cidrs))
            if cidrs
            else None,
        )
        # The worker portal signs in through the pool's domain: it must exist first.
        if self._user_pool_domain is not None:
            workforce.node.add_dependency(self._user_pool_domain)
        return workforce

    def _point_client_at_portal(self) -> None:
        """Name the worker portal's URLs in the app client, after the workforce exists.

        CloudFormation cannot: the portal's address is only known once the workforce
        exists, and the workforce needs the client first. So a custom resource calls
        ``UpdateUserPoolClient`` after the workforce is created. That leaves a gap: any later
        update of the ``AWS::Cognito::UserPoolClient`` makes CloudFormation write the
        template's placeholder URLs back, and sign-in at the portal breaks.

        Closing it: the call's parameters are the client's own synthesized properties (read
        at synth, after every change to the client) with the portal's URLs in place of the
        placeholders. Whatever changes in the client's properties changes the custom
        resource's ``Update`` property too, so CloudFormation runs the call again in the
        same deployment, after the client (the custom resource depends on it). It also
        means the call repeats every setting the client has (``UpdateUserPoolClient``
        resets those it is not given). Changes made with ``add_property_override`` on the
        client are not seen (aws-cdk-lib keeps them out of reach): set the client's L1
        attributes instead.
        """
        assert self._workforce is not None
        client = self._user_pool_client.node.default_child
        assert isinstance(client, cognito.CfnUserPoolClient)
        portal = self._worker_portal_url
        parameters = Lazy.uncached_any(
            _PortalClientSettings(
                client,
                {
                    "ClientId": self._user_pool_client.user_pool_client_id,
                    "CallbackURLs": [portal, f"{portal}/oauth2/idpresponse"],
                    "LogoutURLs": [f"{portal}/logout"],
                },
            )
        )
        call = cr.AwsSdkCall(
            service="CognitoIdentityServiceProvider",
            action="updateUserPoolClient",
            parameters=parameters,
            physical_resource_id=cr.PhysicalResourceId.of(
                self._user_pool_client.user_pool_client_id
            ),
            # The response carries the client's secret: keep it out of the function's logs
            # and out of the custom resource's data (readable with Fn::GetAtt).
            logging=cr.Logging.with_data_hidden(),
            output_paths=["UserPoolClient.ClientId"],
        )
        role = iam.Role(
            self,
            "PortalUrlsRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Points the A2I workforce's Cognito app client at the worker portal",
        )
        inline_reason = (
            "The aws-cdk-lib pattern: the custom resource's one statement "
            "(cognito-idp:UpdateUserPoolClient on this user pool) is in a policy attached to "
            "this one role; a managed policy would hold the same statement."
        )
        acknowledge_compliance(role, "IAMNoInlinePolicy", inline_reason)
        log_group = package_log_group(
            self, "PortalUrlsLogs", encryption_key=self._log_group_encryption_key
        )
        log_group.grant_write(role)
        update = cr.AwsCustomResource(
            self,
            "PortalUrls",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["cognito-idp:UpdateUserPoolClient"],
                        resources=[self._user_pool.user_pool_arn],
                    )
                ]
            ),
            role=role,
            log_group=log_group,
            install_latest_aws_sdk=False,
            timeout=Duration.minutes(2),
            vpc=self._vpc,
            vpc_subnets=self._vpc_subnets,
        )
        acknowledge_compliance(update, "IAMNoInlinePolicy", inline_reason)
        self._acknowledge_custom_resource_function()
        update.node.add_dependency(self._workforce)
        update.node.add_dependency(client)

    def _acknowledge_custom_resource_function(self) -> None:
        """The findings of aws-cdk-lib's one ``AwsCustomResource`` function per stack that
        hold whoever uses it: CloudFormation invokes it, once per change."""
        stack = Stack.of(self)
        function = stack.node.try_find_child(_AWS_CUSTOM_RESOURCE_FUNCTION_ID)
        if function is None:  # aws-cdk-lib changed its id: nothing to acknowledge on
            return
        acknowledge_compliance(
            function,
            "LambdaDLQ",
            "aws-cdk-lib's AwsCustomResource handler: CloudFormation invokes it and waits for "
            "its answer at a presigned URL, so a failure fails the stack's resource; a "
            "dead-letter queue would store that URL.",
        )
        acknowledge_compliance(
            function,
            "LambdaConcurrency",
            "aws-cdk-lib's AwsCustomResource handler, invoked only by CloudFormation once per "
            "change; reserving concurrency would take from the account's unreserved pool and "
            "protect no quota.",
        )
        if self._vpc is None:
            acknowledge_compliance(
                function,
                "LambdaInsideVPC",
                "aws-cdk-lib's AwsCustomResource handler calls the public Cognito API once per "
                "change; pass vpc to PrivateWorkteam to run it in yours (the first "
                "AwsCustomResource of a stack chooses its VPC).",
            )

    @property
    def workteam_arn(self) -> str:
        """The work team's ARN."""
        return self._workteam_arn

    @property
    def workteam_name(self) -> str:
        """The work team's name."""
        return self._workteam_name

    @property
    def is_public_crowd(self) -> bool:
        """Always False: a private team."""
        return False

    @property
    def task_price(self) -> TaskPrice | None:
        """Always None: private reviewers are not paid per task through A2I."""
        return None

    @property
    def user_pool(self) -> cognito.IUserPool:
        """The Cognito user pool of the reviewers."""
        return self._user_pool

    @property
    def user_pool_client(self) -> cognito.IUserPoolClient:
        """The app client the workforce signs reviewers in with."""
        return self._user_pool_client

    @property
    def user_pool_domain(self) -> cognito.UserPoolDomain | None:
        """The Cognito domain created here, if any."""
        return self._user_pool_domain

    @property
    def user_group_name(self) -> str:
        """The reviewers' Cognito group."""
        return self._user_group.group_name

    @property
    def workforce(self) -> sagemaker.CfnWorkforce | None:
        """The private workforce created here; None with ``existing_workforce=True``."""
        return self._workforce

    @property
    def worker_portal_url(self) -> str | None:
        """Where reviewers sign in (known when the workforce is created here)."""
        return self._worker_portal_url

    @property
    def resource(self) -> sagemaker.CfnWorkteam:
        """The ``AWS::SageMaker::Workteam`` (an escape hatch)."""
        return self._resource

    @property
    def reviewer_emails(self) -> list[str]:
        """The reviewers invited by this construct."""
        return [str(user.username) for user in self._reviewers.values()]

    def add_reviewer(self, email: str) -> cognito.CfnUserPoolUser:
        """Invite a reviewer: a Cognito user in the team's group, sent a temporary password.

        The email address is the username. Raises
        :class:`~constructs_a2i.validation.A2IValidationError` for an address that is not
        one, or that was added already.
        """
        check_email("reviewer email", email)
        key = email.strip().lower()
        if key in self._reviewers:
            raise A2IValidationError(
                f"reviewer email {email!r} was added to {self.node.path} already"
            )
        suffix = hash_suffix(key)
        user = cognito.CfnUserPoolUser(
            self,
            f"Reviewer{suffix}",
            user_pool_id=self._user_pool.user_pool_id,
            username=email.strip(),
            user_attributes=[
                cognito.CfnUserPoolUser.AttributeTypeProperty(name="email", value=email.strip()),
                cognito.CfnUserPoolUser.AttributeTypeProperty(name="email_verified", value="true"),
            ],
            desired_delivery_mediums=["EMAIL"],
        )
        cognito.CfnUserPoolUserToGroupAttachment(
            self,
            f"Reviewer{suffix}Membership",
            user_pool_id=self._user_pool.user_pool_id,
            group_name=self._user_group.group_name,
            username=user.ref,
        )
        self._reviewers[key] = user
        return user

    def add_reviewers(self, *emails: str) -> None:
        """Invite several reviewers (see :meth:`add_reviewer`)."""
        for email in emails:
            self.add_reviewer(email)


@jsii.implements(IAnyProducer)
class _PortalClientSettings:
    """``UpdateUserPoolClient``'s parameters: the client's synthesized settings, with ``extra``.

    Produced at synth, so they include every change made to the client's properties until
    then. ``GenerateSecret`` is a create-time setting the call does not take.
    """

    def __init__(self, client: cognito.CfnUserPoolClient, extra: dict[str, Any]) -> None:
        self._client = client
        self._extra = extra

    def produce(self, context: IResolveContext) -> Any:
        rendered = self._client._render_properties(self._client._cfn_properties)
        settings = {k: v for k, v in rendered.items() if k not in _NOT_UPDATABLE}
        return {**settings, **self._extra}


_AWS_CUSTOM_RESOURCE_FUNCTION_ID = "AWS679f53fac002430cb0da5b7982bd2287"
"""The construct id of aws-cdk-lib's AwsCustomResource singleton function in a stack."""


def _default_domain_prefix(path: str) -> str:
    """A readable prefix from the path, made unique per stack by its stack id."""
    readable = generated_name(path, 40)
    for word in _RESERVED_IN_DOMAIN:
        readable = readable.replace(word, "")
    readable = re.sub(r"-+", "-", readable).strip("-") or "a2i"
    stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return Fn.join("-", [readable, Fn.select(0, Fn.split("-", stack_uuid))])


def _check_props(
    *,
    description: str | None,
    workteam_name: str | None,
    user_pool: cognito.IUserPool | None,
    user_pool_client: cognito.IUserPoolClient | None,
    domain_prefix: str | None,
    existing_workforce: bool,
    workforce_name: str | None,
    allowed_source_ip_cidrs: Sequence[str] | None,
) -> None:
    if description is not None:
        check_length("description", description, 1, 200)
    if workteam_name is not None:
        _check_resource_name("workteam_name", workteam_name)
    if workforce_name is not None:
        _check_resource_name("workforce_name", workforce_name)
    if domain_prefix is not None and not is_token(domain_prefix):
        reserved = [w for w in _RESERVED_IN_DOMAIN if w in domain_prefix]
        if not _DOMAIN_PREFIX.match(domain_prefix) or reserved:
            raise A2IValidationError(
                "domain_prefix must be 1-63 lower-case letters, digits and hyphens, starting "
                "and ending with a letter or digit, without the words aws, amazon or cognito; "
                f"got {domain_prefix!r}"
            )
    if user_pool_client is not None and user_pool is None:
        raise A2IValidationError(
            "user_pool_client needs its user_pool: give both, or neither to create them"
        )
    if existing_workforce:
        if user_pool is None or user_pool_client is None:
            raise A2IValidationError(
                "existing_workforce=True needs the workforce's user_pool and user_pool_client "
                "(a team's members must come from its workforce's user pool); for example "
                "cognito.UserPool.from_user_pool_id(...) and "
                "cognito.UserPoolClient.from_user_pool_client_id(...)"
            )
        if allowed_source_ip_cidrs is not None:
            raise A2IValidationError(
                "allowed_source_ip_cidrs is a setting of the workforce, which "
                "existing_workforce=True does not create; change it on the existing workforce"
            )
    if allowed_source_ip_cidrs is not None:
        check_cidrs("allowed_source_ip_cidrs", allowed_source_ip_cidrs, MAX_SOURCE_IP_CIDRS)


def _check_resource_name(prop: str, value: str) -> None:
    """Work team and workforce names: 1-63 letters, digits and hyphens."""
    if is_token(value):
        return
    check_name(prop, value.lower())
