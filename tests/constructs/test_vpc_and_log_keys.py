"""Production settings: every package function in the user's VPC, log groups under the user's key.

One stack, synthesized once for the module with cdk-nag's AwsSolutions, HIPAA Security and
NIST 800-53 R5 packs, gives each construct a VPC and a log-group key; the tests read its
template and findings. The refusals need no synth.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template

from constructs_a2i import A2IValidationError, HumanLoopResults, HumanLoopStarter, PrivateWorkteam
from constructs_a2i.packaged_function import VPC_ENI_ACTIONS
from tests.conftest import TEST_ENV
from tests.constructs.test_flow_definition import make_flow, new_stack
from tests.test_examples import synth_with_nag

ISOLATED = ec2.SubnetType.PRIVATE_ISOLATED


def network(stack: Stack) -> tuple[ec2.Vpc, ec2.SecurityGroup]:
    vpc = ec2.Vpc(
        stack,
        "Vpc",
        max_azs=2,
        nat_gateways=0,
        subnet_configuration=[ec2.SubnetConfiguration(name="isolated", subnet_type=ISOLATED)],
    )
    return vpc, ec2.SecurityGroup(stack, "FunctionsGroup", vpc=vpc)


class Built:
    def __init__(self) -> None:
        stack = new_stack()
        vpc, group = network(stack)
        key = kms.Key(stack, "LogKey", enable_key_rotation=True)
        subnets = ec2.SubnetSelection(subnet_type=ISOLATED)
        in_vpc: dict[str, Any] = {"vpc": vpc, "vpc_subnets": subnets, "security_groups": [group]}
        flow = make_flow(stack, provider_log_group_encryption_key=key, **in_vpc)
        # A second flow with equal settings (a new but equal SubnetSelection) shares the provider.
        make_flow(
            stack,
            "Flow2",
            provider_log_group_encryption_key=key,
            **{**in_vpc, "vpc_subnets": ec2.SubnetSelection(subnet_type=ISOLATED)},
        )
        HumanLoopStarter(
            stack, "Starter", flow_definition=flow, log_group_encryption_key=key, **in_vpc
        )
        # Only the VPC: the function gets a security group of its own.
        HumanLoopResults(
            stack,
            "Results",
            flow_definition=flow,
            destination=sqs.Queue(stack, "Answers", enforce_ssl=True),
            vpc=vpc,
            log_group_encryption_key=key,
        )
        self.stack = stack
        synthesized = synth_with_nag(stack.node.scope, stack.stack_name)  # type: ignore[arg-type]
        self.template = synthesized.template
        self.violations = synthesized.violations
        self.acknowledged = {
            rule
            for construct in synthesized.app.node.find_all()
            for entry in construct.node.metadata
            if entry.type == "aws:cdk:acknowledged-rules"
            for rule in entry.data
        }
        self.ids = {
            name: stack.resolve(stack.get_logical_id(construct.node.default_child))  # type: ignore[arg-type]
            for name, construct in (("key", key), ("group", group))
        }
        self.subnet_ids = [{"Ref": stack.resolve(s.subnet_id)["Ref"]} for s in vpc.isolated_subnets]


@pytest.fixture(scope="module")
def built() -> Built:
    return Built()


def of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def function(template: dict[str, Any], prefix: str) -> dict[str, Any]:
    (found,) = [
        v for k, v in of_type(template, "AWS::Lambda::Function").items() if k.startswith(prefix)
    ]
    return found


def test_in_a_vpc_with_a_key_the_packs_report_only_the_users_own_resources(built: Built) -> None:
    # The VPC (flow logs, default security group) and the queue (no DLQ) are the test's own.
    assert {path.split("/")[1] for _, path in built.violations} == {"Vpc", "Answers"}
    # Fixed, not acknowledged: no function is excused from a VPC, no log group from a key.
    for rule in ("LambdaInsideVPC", "CloudWatchLogGroupEncrypted"):
        assert not [ack for ack in built.acknowledged if rule in ack], rule


class TestVpc:
    @pytest.mark.parametrize(
        "prefix", ["A2IFlowDefinitionProviderframeworkonEvent", "StarterFunction"]
    )
    def test_the_function_runs_in_the_given_subnets_and_groups(
        self, built: Built, prefix: str
    ) -> None:
        config = function(built.template, prefix)["Properties"]["VpcConfig"]
        assert config["SubnetIds"] == built.subnet_ids
        assert config["SecurityGroupIds"] == [{"Fn::GetAtt": [built.ids["group"], "GroupId"]}]

    def test_without_security_groups_the_function_gets_its_own(self, built: Built) -> None:
        config = function(built.template, "ResultsFunction")["Properties"]["VpcConfig"]
        assert config["SubnetIds"] == built.subnet_ids
        group_id, attribute = config["SecurityGroupIds"][0]["Fn::GetAtt"]
        assert group_id.startswith("ResultsFunctionSecurityGroup")
        assert attribute == "GroupId"

    def test_one_provider_serves_both_flows(self, built: Built) -> None:
        functions = of_type(built.template, "AWS::Lambda::Function")
        assert len(functions) == 3  # the provider, the starter, the results

    def test_each_role_may_manage_its_network_interfaces(self, built: Built) -> None:
        roles_with_eni = [
            name
            for name, policy in of_type(built.template, "AWS::IAM::Policy").items()
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == list(VPC_ENI_ACTIONS)
        ]
        assert len(roles_with_eni) == 3

    def test_a_function_waits_for_the_policy_that_lets_it_use_the_vpc(self, built: Built) -> None:
        depends_on = function(built.template, "StarterFunction").get("DependsOn", [])
        assert any(name.startswith("StarterRoleDefaultPolicy") for name in depends_on)


class TestLogGroupKey:
    def test_every_log_group_is_encrypted_with_the_key(self, built: Built) -> None:
        groups = of_type(built.template, "AWS::Logs::LogGroup")
        assert len(groups) == 3
        for group in groups.values():
            assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [built.ids["key"], "Arn"]}

    def test_the_key_policy_lets_logs_use_it_for_this_accounts_log_groups(
        self, built: Built
    ) -> None:
        key = built.template["Resources"][built.ids["key"]]
        logs_statements = [
            s
            for s in key["Properties"]["KeyPolicy"]["Statement"]
            if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
        ]
        assert len(logs_statements) == 1  # once, however many log groups use the key
        (statement,) = logs_statements
        assert "kms:GenerateDataKey*" in statement["Action"]
        assert "kms:Decrypt*" in statement["Action"]
        context = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
        assert built.stack.resolve(context) == context
        assert context["Fn::Join"][1][-1] == ":logs:us-east-1:123456789012:log-group:*"


class TestProviderSettingsMustAgree:
    def test_a_second_flow_with_another_vpc_is_refused(self) -> None:
        stack = new_stack()
        vpc, _ = network(stack)
        make_flow(stack, vpc=vpc)
        with pytest.raises(A2IValidationError) as error:
            make_flow(stack, "Other")
        message = str(error.value)
        assert message.startswith("TestStack/Other: vpc differ from what TestStack/Flow gave")
        assert "one function serves every flow definition of stack TestStack" in message

    def test_each_setting_that_differs_is_named(self) -> None:
        stack = new_stack()
        vpc, group = network(stack)
        key = kms.Key(stack, "Key")
        make_flow(stack, vpc=vpc, security_groups=[group])
        with pytest.raises(A2IValidationError, match="security_groups, log_group_encryption_key"):
            make_flow(stack, "Other", vpc=vpc, provider_log_group_encryption_key=key)

    def test_flows_in_other_stacks_have_their_own_provider(self) -> None:
        stack = new_stack()
        vpc, _ = network(stack)
        make_flow(stack, vpc=vpc)
        other = Stack(stack.node.scope, "OtherStack", env=Environment(**TEST_ENV))  # type: ignore[arg-type]
        make_flow(other)  # no error: another stack, another provider


@pytest.mark.parametrize("construct", ["starter", "results", "flow", "team"])
def test_subnets_or_groups_without_a_vpc_are_refused(construct: str) -> None:
    stack = new_stack()
    subnets = ec2.SubnetSelection(subnet_type=ISOLATED)
    with pytest.raises(A2IValidationError, match="vpc_subnets needs a vpc"):
        if construct == "flow":
            make_flow(stack, vpc_subnets=subnets)
        elif construct == "team":
            PrivateWorkteam(stack, "Team", vpc_subnets=subnets)
        else:
            flow = make_flow(stack)
            if construct == "starter":
                HumanLoopStarter(stack, "S", flow_definition=flow, vpc_subnets=subnets)
            else:
                HumanLoopResults(
                    stack,
                    "R",
                    flow_definition=flow,
                    destination=sqs.Queue(stack, "Q"),
                    vpc_subnets=subnets,
                )


def test_a_private_team_puts_its_custom_resource_in_the_vpc_and_encrypts_its_logs() -> None:
    stack = new_stack()
    vpc, _ = network(stack)
    key = kms.Key(stack, "Key")
    PrivateWorkteam(stack, "Team", vpc=vpc, log_group_encryption_key=key)
    template = Template.from_stack(stack).to_json()
    (handler,) = of_type(template, "AWS::Lambda::Function").values()
    assert handler["Properties"]["VpcConfig"]["SubnetIds"]
    (group,) = of_type(template, "AWS::Logs::LogGroup").values()
    assert "KmsKeyId" in group["Properties"]
