"""The statuses of flow definitions and human loops, and which of them are final."""

from __future__ import annotations

from typing import Final

__all__ = [
    "FLOW_ACTIVE",
    "FLOW_DELETING",
    "FLOW_FAILED",
    "FLOW_INITIALIZING",
    "LOOP_COMPLETED",
    "LOOP_FAILED",
    "LOOP_FAILURE_CODES",
    "LOOP_FINAL_STATUSES",
    "LOOP_IN_PROGRESS",
    "LOOP_STATUSES",
    "LOOP_STOPPED",
    "LOOP_STOPPING",
]

FLOW_INITIALIZING: Final = "Initializing"
FLOW_ACTIVE: Final = "Active"
FLOW_FAILED: Final = "Failed"
FLOW_DELETING: Final = "Deleting"

LOOP_IN_PROGRESS: Final = "InProgress"
LOOP_STOPPING: Final = "Stopping"
LOOP_COMPLETED: Final = "Completed"
LOOP_FAILED: Final = "Failed"
LOOP_STOPPED: Final = "Stopped"

LOOP_STATUSES: Final = (LOOP_IN_PROGRESS, LOOP_STOPPING, LOOP_COMPLETED, LOOP_FAILED, LOOP_STOPPED)
"""Every human-loop status, in lifecycle order (sagemaker-a2i-runtime's HumanLoopStatus)."""

LOOP_FINAL_STATUSES: Final = (LOOP_COMPLETED, LOOP_FAILED, LOOP_STOPPED)
"""The statuses a loop ends in: A2I emits a status-change event for each, and only loops in
one of them can be deleted."""

LOOP_FAILURE_CODES: Final = ("ValidationError", "Expired", "InternalError")
"""The ``FailureCode`` values a Failed loop carries."""
