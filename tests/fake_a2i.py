"""The one family of FakeA2I fixtures, and the one clock, for every test folder.

``tests/conftest.py`` imports the fixtures, so any test can ask for them:

* ``clock``: the :class:`Clock` the fake reads creation times from. It stands still at
  :data:`START` until a test moves it (``clock.advance(10)``). A folder whose tests need
  a distinct creation time per resource overrides ``clock`` with a ticking one
  (``Clock(start, tick=1)``; see ``tests/cli/conftest.py``) and gets the same ``fake``.
* ``fake``: a :class:`FakeA2I` on 127.0.0.1 for one test (:data:`ACCOUNT`,
  :data:`REGION`, seed 0, ``clock``). Tests reach it through ``fake.client(...)`` or by
  passing ``fake.endpoint_url`` on.
* ``fake_env``: the same fake, with boto3's environment variables pointing at it, for
  code under test that builds its own clients (the Lambda handlers).

:func:`active_flow_definition` is the one-line set-up of an Active flow definition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from constructs_a2i.testing import FakeA2I

__all__ = [
    "ACCOUNT",
    "REGION",
    "START",
    "Clock",
    "active_flow_definition",
    "clock",
    "fake",
    "fake_env",
]

ACCOUNT = "111111111111"
REGION = "us-east-1"
START = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
"""Where :class:`Clock` starts unless told otherwise."""


class Clock:
    """A clock for the fake: it reads :attr:`now`; tests move it, or let it tick.

    ``tick`` seconds are added before every read, so with ``tick=1`` each resource the
    fake creates gets a creation time one second after the one before (the first read
    is ``start + tick``). With the default ``tick=0`` it stands still until
    :meth:`advance`.
    """

    def __init__(self, start: dt.datetime = START, *, tick: float = 0.0) -> None:
        self.now = start
        self.tick = dt.timedelta(seconds=tick)

    def __call__(self) -> dt.datetime:
        self.now += self.tick
        return self.now

    def advance(self, seconds: float = 1.0) -> dt.datetime:
        """Move the clock on by ``seconds``; returns the new time."""
        self.now += dt.timedelta(seconds=seconds)
        return self.now


def active_flow_definition(
    fake: FakeA2I, name: str = "review", *, output_s3_path: str = "s3://review-output/results"
) -> str:
    """Create a flow definition that is Active at once; return its ARN.

    It leaves ``activate_after(0)`` set, so flow definitions the test creates afterwards
    are Active at once too.
    """
    fake.activate_after(0)
    return fake.create_active_flow_definition(name, output_s3_path=output_s3_path)


@pytest.fixture
def clock() -> Clock:
    """The fake's clock, standing still at :data:`START`."""
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeA2I]:
    """A FakeA2I served on 127.0.0.1 for this test, reading creation times from ``clock``."""
    # Imported here so that tests which never ask for a fake do not import boto3.
    from constructs_a2i.testing import FakeA2I

    with FakeA2I(region=REGION, account=ACCOUNT, seed=0, clock=clock) as running:
        yield running


@pytest.fixture
def fake_env(fake: FakeA2I, monkeypatch: pytest.MonkeyPatch) -> FakeA2I:
    """``fake``, with boto3's environment pointed at it: clients made anywhere reach it."""
    # A profile would bring its own credentials and Region from the developer's config.
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in fake.environ().items():
        monkeypatch.setenv(name, value)
    return fake
