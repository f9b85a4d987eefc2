"""The fake's server: start/stop, the clients it hands out, env-var redirection, threads."""

from __future__ import annotations

import socket
import threading
from typing import Any

import boto3
import pytest
from botocore.configprovider import ConfiguredEndpointProvider
from botocore.exceptions import ClientError, EndpointConnectionError

from constructs_a2i.testing import A2I_RUNTIME_OPERATIONS, SAGEMAKER_OPERATIONS, FakeA2I
from tests.testing.conftest import flow_request, loop_input


def test_explicit_start_and_close() -> None:
    fake = FakeA2I(region="eu-west-1", account="222222222222")
    with pytest.raises(RuntimeError, match="not started"):
        _ = fake.endpoint_url
    fake.start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            fake.start()
        url = fake.endpoint_url
        assert url.startswith("http://127.0.0.1:")
        sagemaker = fake.client("sagemaker")
        arn_prefix = "arn:aws:sagemaker:eu-west-1:222222222222"
        arn = sagemaker.create_flow_definition(
            **flow_request(
                RoleArn="arn:aws:iam::222222222222:role/r",
                HumanLoopConfig={
                    "WorkteamArn": f"{arn_prefix}:workteam/private-crowd/t",
                    "HumanTaskUiArn": f"{arn_prefix}:human-task-ui/u",
                    "TaskTitle": "t",
                    "TaskDescription": "d",
                    "TaskCount": 1,
                },
            )
        )["FlowDefinitionArn"]
        assert arn == "arn:aws:sagemaker:eu-west-1:222222222222:flow-definition/review"
    finally:
        fake.close()
    fake.close()  # twice is fine
    port = int(url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    with pytest.raises(EndpointConnectionError):
        sagemaker.list_flow_definitions()


def test_china_partition() -> None:
    with FakeA2I(region="cn-north-1") as fake:
        assert fake.partition == "aws-cn"


def test_bad_account() -> None:
    with pytest.raises(ValueError, match="12 digits"):
        FakeA2I(account="123")


def test_clients_have_no_retries_by_default(fake: FakeA2I) -> None:
    clients: list[Any] = [fake.client("sagemaker"), fake.client("sagemaker-a2i-runtime")]
    for client in clients:
        assert client.meta.endpoint_url == fake.endpoint_url
        assert client.meta.region_name == "us-east-1"
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 1}
    retrying: Any = fake.client("sagemaker", max_attempts=4)
    assert retrying.meta.config.retries["total_max_attempts"] == 4


def test_one_endpoint_serves_both_services(fake: FakeA2I, sagemaker: Any, a2i: Any) -> None:
    arn = sagemaker.create_flow_definition(**flow_request())["FlowDefinitionArn"]
    sagemaker.describe_flow_definition(FlowDefinitionName="review")
    a2i.start_human_loop(HumanLoopName="loop-1", FlowDefinitionArn=arn, HumanLoopInput=loop_input())
    assert [(c.service, c.operation) for c in fake.calls] == [
        ("sagemaker", "CreateFlowDefinition"),
        ("sagemaker", "DescribeFlowDefinition"),
        ("sagemaker-a2i-runtime", "StartHumanLoop"),
    ]
    assert len(SAGEMAKER_OPERATIONS) == 7 and len(A2I_RUNTIME_OPERATIONS) == 5


def test_env_var_names_are_botocores(fake: FakeA2I) -> None:
    env = fake.environ()
    # botocore's own lookup of a client's configured endpoint (env var, then config file).
    for client_name in ("sagemaker", "sagemaker-a2i-runtime"):
        provider = ConfiguredEndpointProvider(
            full_config={}, scoped_config={}, client_name=client_name, environ=env
        )
        assert provider.provide() == fake.endpoint_url
        alone = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL_")}
        assert (
            ConfiguredEndpointProvider(
                full_config={}, scoped_config={}, client_name=client_name, environ=alone
            ).provide()
            is None
        )


def test_environ_redirects_clients_built_elsewhere(
    fake: FakeA2I, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in fake.environ().items():
        monkeypatch.setenv(name, value)
    # Code under test builds plain clients, without endpoint or credentials.
    sagemaker = boto3.client("sagemaker")
    a2i = boto3.client("sagemaker-a2i-runtime")
    assert sagemaker.meta.endpoint_url == fake.endpoint_url
    assert a2i.meta.endpoint_url == fake.endpoint_url
    sagemaker.create_flow_definition(**flow_request())
    arn = sagemaker.describe_flow_definition(FlowDefinitionName="review")["FlowDefinitionArn"]
    a2i.start_human_loop(HumanLoopName="loop-1", FlowDefinitionArn=arn, HumanLoopInput=loop_input())
    assert [c.operation for c in fake.calls] == [
        "CreateFlowDefinition",
        "DescribeFlowDefinition",
        "StartHumanLoop",
    ]


def test_concurrent_requests(fake: FakeA2I, active_flow: str) -> None:
    errors: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        client = fake.client("sagemaker-a2i-runtime")
        for n in range(10):
            for name in (f"w{index}-{n}", "shared"):
                try:
                    client.start_human_loop(
                        HumanLoopName=name,
                        FlowDefinitionArn=active_flow,
                        HumanLoopInput=loop_input(worker=index),
                    )
                except ClientError as error:
                    with lock:
                        errors.append(error.response["Error"]["Code"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake.human_loops) == 61  # 60 distinct names and one "shared"
    # The worker that took "shared" repeats its own input (no conflict); the five others'
    # inputs differ from it.
    assert errors == ["ConflictException"] * 50
    assert len(fake.calls_to("StartHumanLoop")) == 120
