"""PrivateWorkteam: the Cognito user pool, app client, workforce and work team it makes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from constructs_a2i import A2IValidationError, IWorkteam, PrivateWorkteam
from constructs_a2i.private_workteam import WORKER_PORTAL_OAUTH_FLOWS, WORKER_PORTAL_OAUTH_SCOPES
from tests.conftest import TEST_ENV

CIDRS = ["203.0.113.0/24", "198.51.100.7/32"]


def new_stack() -> Stack:
    return Stack(App(), "TestStack", env=Environment(**TEST_ENV))


def of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> tuple[str, dict[str, Any]]:
    found = of_type(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def portal_call(template: dict[str, Any], phase: str) -> dict[str, Any]:
    """The custom resource's ``Create`` or ``Update`` call, each CloudFormation token as TOKEN."""
    _, update = only(template, "Custom::AWS")
    parts = update["Properties"][phase]["Fn::Join"][1]
    call: dict[str, Any] = json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))
    return call


@pytest.fixture(scope="module")
def full_team() -> tuple[PrivateWorkteam, dict[str, Any]]:
    """A new team with every option: reviewers, source IPs and notifications."""
    stack = new_stack()
    topic = sns.Topic(stack, "Notifications")
    team = PrivateWorkteam(
        stack,
        "Team",
        reviewer_emails=["ana@example.com"],
        allowed_source_ip_cidrs=CIDRS,
        notification_topic=topic,
    )
    team.add_reviewer("ben@example.com")
    return team, dict(Template.from_stack(stack).to_json())


@pytest.fixture(scope="module")
def joining_team() -> tuple[PrivateWorkteam, dict[str, Any]]:
    """A team that joins the account's existing workforce."""
    stack = new_stack()
    pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "us-east-1_AbCdEfGhI")
    client = cognito.UserPoolClient.from_user_pool_client_id(stack, "Client", "1example23456789")
    team = PrivateWorkteam(
        stack,
        "Team",
        existing_workforce=True,
        user_pool=pool,
        user_pool_client=client,
        workforce_name="default",
        workteam_name="invoice-reviewers",
        user_group_name="invoice-reviewers",
        description="Invoice reviewers",
        reviewer_emails=["cy@example.com"],
    )
    return team, dict(Template.from_stack(stack).to_json())


class TestUserPool:
    def test_secure_defaults(self, full_team: tuple[PrivateWorkteam, dict[str, Any]]) -> None:
        _, template = full_team
        _, pool = only(template, "AWS::Cognito::UserPool")
        props = pool["Properties"]
        assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
        assert props["MfaConfiguration"] == "ON"
        assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
        assert props["UserPoolTier"] == "PLUS"
        assert props["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
        assert props["UsernameAttributes"] == ["email"]
        policy = props["Policies"]["PasswordPolicy"]
        assert policy["MinimumLength"] >= 12
        assert all(
            policy[k]
            for k in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols")
        )
        assert props["AccountRecoverySetting"]["RecoveryMechanisms"] == [
            {"Name": "verified_email", "Priority": 1}
        ]
        assert pool["DeletionPolicy"] == "Retain"

    def test_invitation_carries_username_and_temporary_password(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = full_team
        _, pool = only(template, "AWS::Cognito::UserPool")
        message = pool["Properties"]["AdminCreateUserConfig"]["InviteMessageTemplate"]
        assert "{username}" in message["EmailMessage"]
        assert "{####}" in message["EmailMessage"]

    def test_domain_prefix_is_unique_per_stack_and_valid(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        team, template = full_team
        _, domain = only(template, "AWS::Cognito::UserPoolDomain")
        joined = domain["Properties"]["Domain"]["Fn::Join"]
        assert joined[0] == "-"
        readable, stack_part = joined[1]
        assert "AWS::StackId" in json.dumps(stack_part)
        assert readable.islower()
        for reserved in ("aws", "amazon", "cognito"):
            assert reserved not in readable
        assert len(readable) + 1 + 8 <= 63
        assert team.user_pool_domain is not None

    def test_options_for_mfa_and_feature_plan(self) -> None:
        stack = new_stack()
        PrivateWorkteam(
            stack,
            "Team",
            mfa=cognito.Mfa.OFF,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            domain_prefix="acme-reviewers",
        )
        template = Template.from_stack(stack)
        template.has_resource_properties(
            "AWS::Cognito::UserPool", {"MfaConfiguration": "OFF", "UserPoolTier": "ESSENTIALS"}
        )
        pool = template.find_resources("AWS::Cognito::UserPool")
        assert "UserPoolAddOns" not in next(iter(pool.values()))["Properties"]
        template.has_resource_properties(
            "AWS::Cognito::UserPoolDomain", {"Domain": "acme-reviewers"}
        )


class TestAppClient:
    def test_client_has_a_secret_and_the_portal_oauth_settings(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = full_team
        _, client = only(template, "AWS::Cognito::UserPoolClient")
        props = client["Properties"]
        assert props["GenerateSecret"] is True
        assert sorted(props["AllowedOAuthFlows"]) == sorted(WORKER_PORTAL_OAUTH_FLOWS)
        assert sorted(props["AllowedOAuthScopes"]) == sorted(WORKER_PORTAL_OAUTH_SCOPES)
        assert props["AllowedOAuthFlowsUserPoolClient"] is True
        assert props["SupportedIdentityProviders"] == ["COGNITO"]

    def test_client_is_pointed_at_the_worker_portal_with_the_same_settings(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        """UpdateUserPoolClient resets what it is not given: it must repeat every setting."""
        _, template = full_team
        client_id, client = only(template, "AWS::Cognito::UserPoolClient")
        workforce_id, _ = only(template, "AWS::SageMaker::Workforce")
        _, update = only(template, "Custom::AWS")
        for phase in ("Create", "Update"):
            parts = update["Properties"][phase]["Fn::Join"][1]
            tokens = [p for p in parts if not isinstance(p, str)]
            assert {"Fn::GetAtt": [workforce_id, "SubDomain"]} in tokens
            call = json.loads("".join(p if isinstance(p, str) else "TOKEN" for p in parts))
            assert call["action"] == "updateUserPoolClient"
            params = call["parameters"]
            props = client["Properties"]
            for key in (
                "ExplicitAuthFlows",
                "SupportedIdentityProviders",
                "AllowedOAuthFlowsUserPoolClient",
                "PreventUserExistenceErrors",
                "EnableTokenRevocation",
                "ClientName",
            ):
                assert params[key] == props[key], key
            assert sorted(params["AllowedOAuthFlows"]) == sorted(props["AllowedOAuthFlows"])
            assert sorted(params["AllowedOAuthScopes"]) == sorted(props["AllowedOAuthScopes"])
            assert "https://TOKEN/oauth2/idpresponse" in params["CallbackURLs"]
            assert params["LogoutURLs"] == ["https://TOKEN/logout"]
            # The client CloudFormation manages keeps no setting the call would drop.
            managed = set(props) - {"UserPoolId", "GenerateSecret", "CallbackURLs", "LogoutURLs"}
            assert managed <= set(params), managed - set(params)
        assert {"Ref": client_id} in update["Properties"]["Create"]["Fn::Join"][1]

    def test_update_may_only_change_this_pools_clients(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = full_team
        pool_id, _ = only(template, "AWS::Cognito::UserPool")
        policies = [
            p
            for k, p in of_type(template, "AWS::IAM::Policy").items()
            if k.startswith("TeamPortalUrls")
        ]
        statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
        update = [s for s in statements if "cognito-idp" in json.dumps(s["Action"])]
        assert update == [
            {
                "Action": "cognito-idp:UpdateUserPoolClient",
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [pool_id, "Arn"]},
            }
        ]
        functions = of_type(template, "AWS::Lambda::Function")
        assert all(f["Properties"]["Runtime"].startswith("nodejs") for f in functions.values())

    def test_the_call_repeats_exactly_the_clients_settings_with_the_portal_urls(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = full_team
        client_id, client = only(template, "AWS::Cognito::UserPoolClient")
        props = client["Properties"]
        for phase in ("Create", "Update"):
            call = portal_call(template, phase)
            params = call["parameters"]
            # GenerateSecret is create-only; ClientId names the client.
            assert set(params) == (set(props) - {"GenerateSecret"}) | {"ClientId"}
            for key in set(props) - {"GenerateSecret", "CallbackURLs", "LogoutURLs", "UserPoolId"}:
                assert params[key] == props[key], key
            assert params["CallbackURLs"] == ["https://TOKEN", "https://TOKEN/oauth2/idpresponse"]
            # The response holds the client secret: not logged, not returned as data.
            assert call["logApiResponseData"] is False
            assert call["outputPaths"] == ["UserPoolClient.ClientId"]
        _, update = only(template, "Custom::AWS")
        assert client_id in update["DependsOn"]

    def test_every_parameter_is_one_update_user_pool_client_takes(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        """The call is made of the client's CloudFormation properties: botocore's model of
        UpdateUserPoolClient must take every one (GenerateSecret, create-only, is left out)."""
        import botocore.session

        model = botocore.session.get_session().get_service_model("cognito-idp")
        accepted = set(model.operation_model("UpdateUserPoolClient").input_shape.members)
        _, template = full_team
        assert set(portal_call(template, "Update")["parameters"]) <= accepted

    def test_a_change_to_the_client_runs_the_call_again(self) -> None:
        """CloudFormation resets the client's URLs on any update of the client; the custom
        resource's properties must change with it, so that the call runs again after it."""

        def synth(change: Any = None) -> dict[str, Any]:
            stack = new_stack()
            team = PrivateWorkteam(stack, "Team")
            if change is not None:
                change(team.user_pool_client.node.default_child)
            return dict(Template.from_stack(stack).to_json())

        def session_validity(client: cognito.CfnUserPoolClient) -> None:
            client.auth_session_validity = 10

        def read_attributes(client: cognito.CfnUserPoolClient) -> None:
            client.read_attributes = ["email"]

        before = synth()
        assert synth() == before  # stable: an unchanged client does not re-run the call
        for change, key, value in (
            (session_validity, "AuthSessionValidity", 10),
            (read_attributes, "ReadAttributes", ["email"]),
        ):
            after = synth(change)
            _, client = only(after, "AWS::Cognito::UserPoolClient")
            assert client["Properties"][key] == value
            _, old_resource = only(before, "Custom::AWS")
            _, new_resource = only(after, "Custom::AWS")
            assert new_resource["Properties"]["Update"] != old_resource["Properties"]["Update"]
            params = portal_call(after, "Update")["parameters"]
            assert params[key] == value  # and the call keeps the new setting
            assert "https://TOKEN/oauth2/idpresponse" in params["CallbackURLs"]


class TestWorkforceAndTeam:
    def test_workforce_uses_the_pool_client_and_source_ips(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        team, template = full_team
        pool_id, _ = only(template, "AWS::Cognito::UserPool")
        client_id, _ = only(template, "AWS::Cognito::UserPoolClient")
        domain_id, _ = only(template, "AWS::Cognito::UserPoolDomain")
        _, workforce = only(template, "AWS::SageMaker::Workforce")
        assert workforce["Properties"]["CognitoConfig"] == {
            "ClientId": {"Ref": client_id},
            "UserPool": {"Ref": pool_id},
        }
        assert workforce["Properties"]["SourceIpConfig"] == {"Cidrs": CIDRS}
        assert domain_id in workforce["DependsOn"]
        assert team.workforce is not None

    def test_team_members_are_the_group_of_the_pool(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = full_team
        pool_id, _ = only(template, "AWS::Cognito::UserPool")
        client_id, _ = only(template, "AWS::Cognito::UserPoolClient")
        group_id, _ = only(template, "AWS::Cognito::UserPoolGroup")
        workforce_id, workforce = only(template, "AWS::SageMaker::Workforce")
        topic_id, _ = only(template, "AWS::SNS::Topic")
        _, workteam = only(template, "AWS::SageMaker::Workteam")
        props = workteam["Properties"]
        assert props["MemberDefinitions"] == [
            {
                "CognitoMemberDefinition": {
                    "CognitoClientId": {"Ref": client_id},
                    "CognitoUserGroup": {"Ref": group_id},
                    "CognitoUserPool": {"Ref": pool_id},
                }
            }
        ]
        assert props["WorkforceName"] == workforce["Properties"]["WorkforceName"]
        assert workforce_id in workteam["DependsOn"]
        assert props["NotificationConfiguration"] == {"NotificationTopicArn": {"Ref": topic_id}}
        assert 1 <= len(props["Description"]) <= 200

    def test_sagemaker_may_publish_to_the_topic(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = full_team
        _, policy = only(template, "AWS::SNS::TopicPolicy")
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Principal"] == {"Service": "sagemaker.amazonaws.com"}
            and s["Action"] == "sns:Publish"
            for s in statements
        )

    def test_reviewers_are_invited_into_the_group(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        team, template = full_team
        group_id, _ = only(template, "AWS::Cognito::UserPoolGroup")
        users = of_type(template, "AWS::Cognito::UserPoolUser")
        assert sorted(u["Properties"]["Username"] for u in users.values()) == [
            "ana@example.com",
            "ben@example.com",
        ]
        for user in users.values():
            attributes = {a["Name"]: a["Value"] for a in user["Properties"]["UserAttributes"]}
            assert attributes == {"email": user["Properties"]["Username"], "email_verified": "true"}
            assert user["Properties"]["DesiredDeliveryMediums"] == ["EMAIL"]
        memberships = of_type(template, "AWS::Cognito::UserPoolUserToGroupAttachment")
        assert sorted(m["Properties"]["Username"]["Ref"] for m in memberships.values()) == sorted(
            users
        )
        assert all(m["Properties"]["GroupName"] == {"Ref": group_id} for m in memberships.values())
        assert team.reviewer_emails == ["ana@example.com", "ben@example.com"]

    def test_outputs_and_attributes(
        self, full_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        team, template = full_team
        workteam_id, _ = only(template, "AWS::SageMaker::Workteam")
        workforce_id, _ = only(template, "AWS::SageMaker::Workforce")
        outputs = {k: v["Value"] for k, v in template["Outputs"].items()}
        assert {"Fn::GetAtt": [workteam_id, "WorkteamArn"]} in outputs.values()
        assert {
            "Fn::Join": ["", ["https://", {"Fn::GetAtt": [workforce_id, "SubDomain"]}]]
        } in outputs.values()
        assert isinstance(team, IWorkteam)
        assert team.is_public_crowd is False
        assert team.task_price is None
        assert team.worker_portal_url is not None

    def test_outputs_can_be_left_out(self) -> None:
        stack = new_stack()
        team = PrivateWorkteam(stack, "Team", outputs=False)
        template = Template.from_stack(stack).to_json()
        assert "Outputs" not in template or not template["Outputs"]
        # The values stay on the construct for the app to use as it likes.
        assert stack.resolve(team.workteam_arn) == {
            "Fn::GetAtt": [only(template, "AWS::SageMaker::Workteam")[0], "WorkteamArn"]
        }
        assert team.worker_portal_url is not None


class TestExistingWorkforce:
    def test_nothing_but_the_group_team_and_reviewers_is_created(
        self, joining_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        team, template = joining_team
        types = {r["Type"] for r in template["Resources"].values()}
        assert types == {
            "AWS::Cognito::UserPoolGroup",
            "AWS::SageMaker::Workteam",
            "AWS::Cognito::UserPoolUser",
            "AWS::Cognito::UserPoolUserToGroupAttachment",
        }
        assert team.workforce is None
        assert team.worker_portal_url is None
        assert team.user_pool_domain is None

    def test_team_uses_the_workforce_pool_and_client(
        self, joining_team: tuple[PrivateWorkteam, dict[str, Any]]
    ) -> None:
        _, template = joining_team
        _, workteam = only(template, "AWS::SageMaker::Workteam")
        props = workteam["Properties"]
        member = props["MemberDefinitions"][0]["CognitoMemberDefinition"]
        assert member["CognitoUserPool"] == "us-east-1_AbCdEfGhI"
        assert member["CognitoClientId"] == "1example23456789"
        assert props["WorkforceName"] == "default"
        assert props["WorkteamName"] == "invoice-reviewers"
        assert props["Description"] == "Invoice reviewers"
        _, group = only(template, "AWS::Cognito::UserPoolGroup")
        assert group["Properties"]["GroupName"] == "invoice-reviewers"
        assert group["Properties"]["UserPoolId"] == "us-east-1_AbCdEfGhI"

    def test_own_pool_new_workforce_creates_a_client_but_no_domain(self) -> None:
        stack = new_stack()
        pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "us-east-1_AbCdEfGhI")
        team = PrivateWorkteam(stack, "Team", user_pool=pool)
        template = Template.from_stack(stack)
        template.resource_count_is("AWS::Cognito::UserPool", 0)
        template.resource_count_is("AWS::Cognito::UserPoolDomain", 0)
        template.resource_count_is("AWS::Cognito::UserPoolClient", 1)
        template.resource_count_is("AWS::SageMaker::Workforce", 1)
        assert team.user_pool is pool


class TestValidation:
    @pytest.mark.parametrize(
        ("props", "message"),
        [
            (
                {"existing_workforce": True},
                r"existing_workforce=True needs the workforce's user_pool",
            ),
            ({"user_pool_client": "client"}, r"user_pool_client needs its user_pool"),
            ({"allowed_source_ip_cidrs": []}, r"allowed_source_ip_cidrs must hold 1-10 IPv4 CIDR"),
            (
                {"allowed_source_ip_cidrs": [f"10.0.{i}.0/24" for i in range(11)]},
                r"must hold 1-10 IPv4 CIDR blocks",
            ),
            ({"allowed_source_ip_cidrs": "10.0.0.0/8"}, r"must hold 1-10 IPv4 CIDR blocks"),
            ({"allowed_source_ip_cidrs": ["10.0.0.1/8"]}, r"no host bits set.*got '10\.0\.0\.1/8'"),
            ({"allowed_source_ip_cidrs": ["10.0.0.1"]}, r"IPv4 CIDR blocks .*got '10\.0\.0\.1'"),
            ({"allowed_source_ip_cidrs": ["2001:db8::/32"]}, r"IPv4 CIDR blocks"),
            ({"domain_prefix": "My-Team"}, r"domain_prefix must be 1-63 lower-case"),
            ({"domain_prefix": "aws-reviewers"}, r"without the words aws, amazon or cognito"),
            ({"domain_prefix": "a" * 64}, r"domain_prefix must be 1-63"),
            ({"description": "d" * 201}, r"description must be 1-200 characters"),
            ({"description": ""}, r"description must be 1-200 characters"),
            ({"workteam_name": "team_1"}, r"workteam_name must be 1-63 characters"),
            ({"workforce_name": "x" * 64}, r"workforce_name must be 1-63 characters"),
            ({"reviewer_emails": ["not-an-address"]}, r"reviewer email must be an email address"),
            ({"reviewer_emails": "ana@example.com"}, r"reviewer_emails must be a list"),
        ],
    )
    def test_rejects(self, props: dict[str, Any], message: str) -> None:
        stack = new_stack()
        if props.get("user_pool_client") == "client":
            props["user_pool_client"] = cognito.UserPoolClient.from_user_pool_client_id(
                stack, "Client", "1example"
            )
        with pytest.raises(A2IValidationError, match=message):
            PrivateWorkteam(stack, "Team", **props)

    def test_source_ips_need_a_workforce_created_here(self) -> None:
        stack = new_stack()
        with pytest.raises(A2IValidationError, match=r"allowed_source_ip_cidrs is a setting of"):
            PrivateWorkteam(
                stack,
                "Team",
                existing_workforce=True,
                user_pool=cognito.UserPool.from_user_pool_id(stack, "Pool", "us-east-1_Abc"),
                user_pool_client=cognito.UserPoolClient.from_user_pool_client_id(
                    stack, "Client", "1example"
                ),
                allowed_source_ip_cidrs=CIDRS,
            )

    def test_a_reviewer_is_added_once(self) -> None:
        team = PrivateWorkteam(new_stack(), "Team", reviewer_emails=["Ana@Example.com"])
        with pytest.raises(A2IValidationError, match=r"'ana@example\.com' was added to .* already"):
            team.add_reviewer("ana@example.com")
        team.add_reviewers("ben@example.com", "cy@example.com")
        assert len(team.reviewer_emails) == 3

    def test_ten_cidrs_are_accepted(self) -> None:
        PrivateWorkteam(
            new_stack(), "Team", allowed_source_ip_cidrs=[f"10.0.{i}.0/24" for i in range(10)]
        )
