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

:class:`FakeResponseUrl` plays CloudFormation's presigned custom-resource ResponseURL, so a
custom-resource handler can be run in-process and its answer read back.

It needs only the standard library, boto3 and botocore (never aws_cdk).

The fake is an independent oracle: it imports nothing of the product (nothing of
``constructs_a2i`` outside this package, not ``constructs_a2i.core``). It deliberately
re-states A2I's rules from botocore's models instead of importing the product's, so that
a mistake in the product is not copied into the oracle that tests it.

Its private modules, one job each: ``_fake`` (the :class:`FakeA2I` facade), ``_state``
(records, snapshots and the store), ``_sagemaker`` and ``_runtime`` (the two services'
operations and lifecycles), ``_paging`` (List* filters, order and tokens), ``_faults``
(scripted and random failures), ``_errors`` (service errors), ``_dispatch`` (an HTTP
request to an operation), ``_protocol`` (wire formats), ``_validation`` (the model's
constraints), ``_clients`` (boto3 clients and environment), ``_server`` (HTTP) and
``_response_url`` (CloudFormation's ResponseURL).
"""

from constructs_a2i.testing._fake import FakeA2I
from constructs_a2i.testing._faults import Faults
from constructs_a2i.testing._response_url import FakeResponseUrl, Response
from constructs_a2i.testing._runtime import A2I_RUNTIME_OPERATIONS
from constructs_a2i.testing._sagemaker import SAGEMAKER_OPERATIONS
from constructs_a2i.testing._state import Call, FakeFlowDefinition, FakeHumanLoop, Limits

__all__ = [
    "A2I_RUNTIME_OPERATIONS",
    "SAGEMAKER_OPERATIONS",
    "Call",
    "FakeA2I",
    "FakeFlowDefinition",
    "FakeHumanLoop",
    "FakeResponseUrl",
    "Faults",
    "Limits",
    "Response",
]
