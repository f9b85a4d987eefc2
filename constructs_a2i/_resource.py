"""What every resource interface of the package has: ``aws_cdk.IResource``'s members.

``IFlowDefinition``, ``IHumanTaskUi`` and ``IWorkteam`` extend :class:`IResourceProtocol`,
so whatever takes one (a created resource or an import) also has its ``node``, ``stack``,
``env`` (an import's account and Region come from its ARN) and ``apply_removal_policy``, as
aws-cdk-lib's ``IBucket`` and ``IFunction`` do. It is a plain ``typing.Protocol`` with those
members spelled out rather than a subclass of ``aws_cdk.IResource``: the interfaces stay
``runtime_checkable`` on Python 3.11, whose ``isinstance`` cannot mix the two kinds of
protocol.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aws_cdk import RemovalPolicy, Stack
from aws_cdk.interfaces import ResourceEnvironment
from constructs import Node

__all__ = ["IResourceProtocol"]


@runtime_checkable
class IResourceProtocol(Protocol):
    """The members of ``aws_cdk.IResource`` (and ``constructs.IConstruct``)."""

    @property
    def node(self) -> Node:
        """The construct tree node."""
        ...

    @property
    def stack(self) -> Stack:
        """The stack this resource (or its import) is defined in."""
        ...

    @property
    def env(self) -> ResourceEnvironment:
        """The account and Region the resource lives in (an import's: from its ARN)."""
        ...

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """Set what happens to the resource when it leaves the stack (not for imports)."""
        ...
