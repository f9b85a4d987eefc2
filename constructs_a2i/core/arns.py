"""The shapes of A2I's ARNs."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["FLOW_DEFINITION_ARN_PATTERN", "PUBLIC_CROWD_ACCOUNT", "flow_definition_name"]

FLOW_DEFINITION_ARN_PATTERN: Final = re.compile(
    r"^arn:(?P<partition>aws[a-z\-]*):sagemaker:(?P<region>[a-z0-9\-]+):(?P<account>\d{12}):"
    r"flow-definition/(?P<name>[a-z0-9](?:-*[a-z0-9]){0,62})$"
)
"""A flow definition ARN, with its parts as named groups."""

PUBLIC_CROWD_ACCOUNT: Final = "394669845002"
"""The account in the public crowd's work-team ARN
(``arn:<partition>:sagemaker:<region>:394669845002:workteam/public-crowd/default``)."""


def flow_definition_name(arn: object) -> str | None:
    """The name in a flow definition ARN, or ``None`` when ``arn`` is not one."""
    if not isinstance(arn, str):
        return None
    match = FLOW_DEFINITION_ARN_PATTERN.match(arn)
    return match.group("name") if match else None
