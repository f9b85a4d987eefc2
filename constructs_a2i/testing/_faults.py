"""Fault injection: decide, before a request is validated or acted on, whether it fails.

Two sources, checked in this order for every request that decoded:

* scripted failures (``FakeA2I.fail_next``): the next N calls to one operation answer
  a given error code;
* random faults (:class:`Faults`): throttling and internal errors drawn from a seeded
  generator, so a failing test replays the same faults with the same seed.

Either way the request changes no state, as a throttled or failed service call does not.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from constructs_a2i.testing._errors import ServiceError
from constructs_a2i.testing._protocol import SAGEMAKER

__all__ = ["FaultInjector", "Faults", "ScriptedFailure"]


@dataclass
class Faults:
    """Random faults, drawn from the fake's seeded generator (deterministic per seed).

    Faults are decided before a request is validated or acted on, so a faulted
    request changes no state.
    """

    throttle_rate: float = 0.0
    """Share of requests answered with ThrottlingException (429 for A2I, 400 for SageMaker)."""
    error_rate: float = 0.0
    """Share answered with a 500: InternalServerException (A2I), InternalFailure (SageMaker)."""
    latency: float = 0.0
    """Seconds slept before answering each request (outside the state lock)."""
    operations: frozenset[str] | None = None
    """The operations the random faults apply to; None means all of them."""


@dataclass
class ScriptedFailure:
    """``times`` more calls to one operation answer ``code`` (and ``message``)."""

    code: str
    message: str | None
    times: int


class FaultInjector:
    """The scripted failures and random faults of one fake.

    Not locked itself: callers hold the store's lock, so that the draws from the
    generator, and so the faults, follow the order in which requests are handled.
    """

    def __init__(self, seed: int) -> None:
        self.faults = Faults()
        self._seed = seed
        self._rng = random.Random(seed)
        self._scripted: dict[str, list[ScriptedFailure]] = {}

    def script(self, operation: str, code: str, *, times: int, message: str | None) -> None:
        """Queue ``times`` failures with ``code`` for ``operation`` (after earlier ones)."""
        self._scripted.setdefault(operation, []).append(ScriptedFailure(code, message, times))

    def check(self, service: str, operation: str) -> None:
        """Raise the :class:`ServiceError` this request gets, if it gets one."""
        queue = self._scripted.get(operation)
        if queue:
            scripted = queue[0]
            scripted.times -= 1
            if scripted.times <= 0:
                queue.pop(0)
            raise ServiceError(scripted.code, scripted.message or f"Injected {scripted.code}")
        faults = self.faults
        if faults.operations is not None and operation not in faults.operations:
            return
        # A rate of 0 draws nothing: a fake without faults never touches the generator,
        # so setting faults later starts them from the seed's first draw.
        if faults.throttle_rate > 0 and self._rng.random() < faults.throttle_rate:
            raise ServiceError("ThrottlingException", "Rate exceeded")
        if faults.error_rate > 0 and self._rng.random() < faults.error_rate:
            if service == SAGEMAKER:
                raise ServiceError("InternalFailure", "An internal error occurred. Try again.")
            raise ServiceError(
                "InternalServerException", "We encountered an internal error. Try again."
            )

    def reset(self) -> None:
        """No faults, no scripted failures, and the generator back at its seed."""
        self.faults = Faults()
        self._scripted.clear()
        self._rng = random.Random(self._seed)
