"""Fault injection: seeded throttles and 5xx, scripted failures, IAM propagation, quotas."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from constructs_a2i.testing import FakeA2I, Faults
from tests.testing.conftest import ROLE_ARN, error_of, flow_request, loop_input


def test_throttled_start_changes_nothing(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    fake.faults.throttle_rate = 1.0
    with pytest.raises(a2i.exceptions.ThrottlingException) as excinfo:
        a2i.start_human_loop(
            HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
        )
    assert error_of(excinfo)[2] == 429
    assert fake.human_loops == {}
    assert fake.calls[-1].operation == "StartHumanLoop"
    assert fake.calls[-1].error == "ThrottlingException"


def test_sagemaker_throttle_is_a_400(fake: FakeA2I, sagemaker: Any) -> None:
    fake.faults.throttle_rate = 1.0
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_flow_definition(**flow_request())
    assert error_of(excinfo)[0::2] == ("ThrottlingException", 400)
    assert fake.flow_definitions == {}


def test_server_errors(fake: FakeA2I, sagemaker: Any, a2i: Any, active_flow: str) -> None:
    fake.faults.error_rate = 1.0
    with pytest.raises(a2i.exceptions.InternalServerException) as excinfo:
        a2i.describe_human_loop(HumanLoopName="loop-1")
    assert error_of(excinfo)[2] == 500
    with pytest.raises(ClientError) as excinfo:
        sagemaker.delete_flow_definition(FlowDefinitionName="review")
    assert error_of(excinfo)[0::2] == ("InternalFailure", 500)
    assert fake.flow_definitions["review"].status == "Active"


def test_faults_limited_to_operations(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    fake.faults.throttle_rate = 1.0
    fake.faults.operations = frozenset({"DescribeHumanLoop"})
    a2i.start_human_loop(
        HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
    )
    with pytest.raises(a2i.exceptions.ThrottlingException):
        a2i.describe_human_loop(HumanLoopName="loop-1")


def _fault_sequence(seed: int) -> list[str | None]:
    with FakeA2I(seed=seed) as fake:
        fake.faults = Faults(throttle_rate=0.3, error_rate=0.2)
        sagemaker = fake.client("sagemaker")
        for _ in range(30):
            with contextlib.suppress(ClientError):
                sagemaker.list_flow_definitions()
        return [call.error for call in fake.calls]


def test_random_faults_are_deterministic_per_seed() -> None:
    first = _fault_sequence(7)
    assert first == _fault_sequence(7)
    assert first != _fault_sequence(8)
    assert {"ThrottlingException", "InternalFailure", None} <= set(first)


def test_scripted_failures(fake: FakeA2I, a2i: Any, active_flow: str) -> None:
    fake.fail_next("StartHumanLoop", "ThrottlingException", times=2)
    for _ in range(2):
        with pytest.raises(a2i.exceptions.ThrottlingException):
            a2i.start_human_loop(
                HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
            )
    a2i.start_human_loop(
        HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
    )
    starts = [c for c in fake.calls if c.operation == "StartHumanLoop"]
    assert [c.error for c in starts] == ["ThrottlingException", "ThrottlingException", None]
    assert all(c.params["HumanLoopName"] == "loop-1" for c in starts)
    assert len(fake.calls_to("StartHumanLoop", succeeded=True)) == 1
    assert len(fake.calls_to("StartHumanLoop", succeeded=False)) == 2


def test_scripted_failure_codes_map_to_modelled_exceptions(
    fake: FakeA2I, sagemaker: Any, a2i: Any, active_flow: str
) -> None:
    fake.fail_next("CreateFlowDefinition", "ResourceLimitExceeded", message="Too many")
    with pytest.raises(sagemaker.exceptions.ResourceLimitExceeded) as excinfo:
        sagemaker.create_flow_definition(**flow_request("other"))
    assert error_of(excinfo)[1] == "Too many"

    expected = {
        "ValidationException": 400,
        "ResourceNotFoundException": 404,
        "ConflictException": 409,
        "ServiceQuotaExceededException": 402,
        "ThrottlingException": 429,
        "InternalServerException": 500,
    }
    for code, status in expected.items():
        fake.fail_next("StartHumanLoop", code)
        with pytest.raises(getattr(a2i.exceptions, code)) as excinfo:
            a2i.start_human_loop(
                HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
            )
        assert error_of(excinfo)[2] == status
    assert fake.human_loops == {}


def test_fail_next_rejects_unknown_operations(fake: FakeA2I) -> None:
    with pytest.raises(ValueError, match="does not serve"):
        fake.fail_next("CreateWorkteam", "ThrottlingException")


def test_latency(fake: FakeA2I, sagemaker: Any) -> None:
    sagemaker.list_flow_definitions()  # warm the connection
    fake.faults.latency = 0.05
    started = time.perf_counter()
    sagemaker.list_flow_definitions()
    assert time.perf_counter() - started >= 0.05


def test_reject_new_roles(fake: FakeA2I, sagemaker: Any) -> None:
    fake.reject_new_roles(times=2)
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            sagemaker.create_flow_definition(**flow_request())
        code, message, _ = error_of(excinfo)
        assert code == "ValidationException"
        assert message == (
            f"Could not assume role {ROLE_ARN}. Please ensure that the role exists and allows "
            "principal 'sagemaker.amazonaws.com' to assume the role."
        )
        assert fake.flow_definitions == {}
    sagemaker.create_flow_definition(**flow_request())
    assert "review" in fake.flow_definitions


def test_invalid_request_does_not_use_up_a_role_rejection(fake: FakeA2I, sagemaker: Any) -> None:
    fake.reject_new_roles(times=1, message="Could not assume role: custom text")
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_flow_definition(**flow_request("Bad"))
    assert "pattern" in error_of(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        sagemaker.create_flow_definition(**flow_request())
    assert error_of(excinfo)[1] == "Could not assume role: custom text"


def test_quotas(fake: FakeA2I, sagemaker: Any, a2i: Any, active_flow: str) -> None:
    fake.limits.flow_definitions = 1
    with pytest.raises(sagemaker.exceptions.ResourceLimitExceeded):
        sagemaker.create_flow_definition(**flow_request("second"))

    fake.limits.in_progress_human_loops = 1
    a2i.start_human_loop(
        HumanLoopName="loop-1", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
    )
    with pytest.raises(a2i.exceptions.ServiceQuotaExceededException) as excinfo:
        a2i.start_human_loop(
            HumanLoopName="loop-2", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
        )
    assert error_of(excinfo)[2] == 402
    fake.complete_human_loop("loop-1")
    a2i.start_human_loop(
        HumanLoopName="loop-2", FlowDefinitionArn=active_flow, HumanLoopInput=loop_input()
    )


def test_reset(fake: FakeA2I, sagemaker: Any, active_flow: str) -> None:
    fake.faults.throttle_rate = 1.0
    fake.activate_after(5)
    fake.reset()
    assert fake.flow_definitions == {} and fake.calls == [] and fake.events == []
    sagemaker.create_flow_definition(**flow_request())
    status = sagemaker.describe_flow_definition(FlowDefinitionName="review")
    assert status["FlowDefinitionStatus"] == "Active"
