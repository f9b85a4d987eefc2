"""A local fake of Amazon Augmented AI for tests: no AWS account, real boto3 clients.

:class:`FakeA2I` serves SageMaker's flow-definition operations (CreateFlowDefinition,
DescribeFlowDefinition, DeleteFlowDefinition, ListFlowDefinitions, AddTags, DeleteTags,
ListTags) and the whole A2I runtime (StartHumanLoop, DescribeHumanLoop, ListHumanLoops,
StopHumanLoop, DeleteHumanLoop) over their real wire protocols on 127.0.0.1, checks
requests against botocore's service models as the services do, and follows the real
lifecycles::

    from constructs_a2i.testing import FakeA2I

    def test_review(monkeypatch):
        with FakeA2I() as fake:
            for name, value in fake.environ().items():
                monkeypatch.setenv(name, value)   # code under test now reaches the fake
            sagemaker = fake.client("sagemaker")
            ...
            fake.complete_human_loop("loop-1")
            assert len(fake.calls_to("StartHumanLoop")) == 1

It needs only the standard library, boto3 and botocore (never aws_cdk).
"""

from constructs_a2i.testing._fake import (
    A2I_RUNTIME_OPERATIONS,
    SAGEMAKER_OPERATIONS,
    Call,
    FakeA2I,
    FakeFlowDefinition,
    FakeHumanLoop,
    Faults,
    Limits,
)

__all__ = [
    "A2I_RUNTIME_OPERATIONS",
    "SAGEMAKER_OPERATIONS",
    "Call",
    "FakeA2I",
    "FakeFlowDefinition",
    "FakeHumanLoop",
    "Faults",
    "Limits",
]
