"""AWS clients, global options and one-line error messages for the ``a2i`` command.

The global options (``--region``, ``--profile``, ``--endpoint-url``, ``--output``) are read by
:func:`global_options`, the ``a2i`` app's callback, into an :class:`AwsOptions` kept in the
Click context; commands get them back with :func:`options` and build clients with
:class:`Clients`.

``--endpoint-url`` is where the SageMaker and A2I runtime calls go (for example the local fake
of :mod:`constructs_a2i.testing`, which serves both). Other services (S3, CloudFormation) keep
their usual endpoints, which botocore lets you change with ``AWS_ENDPOINT_URL_S3`` and
``AWS_ENDPOINT_URL_CLOUDFORMATION``.

Every command runs inside :func:`cli_errors`, which turns any exception into one line on stderr
(``error: ...``) and a non-zero exit status: never a traceback.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final

import boto3
import botocore.loaders
import botocore.session
import typer
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
)
from rich.console import Console
from rich.table import Table
from rich.text import Text

from constructs_a2i.cli._retry import RetriesExhausted, error_code

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_a2i_runtime import AugmentedAIRuntimeClient

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_PARTIAL",
    "AwsOptions",
    "CliError",
    "Clients",
    "OutputFormat",
    "cli_errors",
    "describe_error",
    "global_options",
    "is_fatal",
    "options",
    "print_json",
    "print_table",
    "stderr_console",
    "stdout_console",
    "to_jsonable",
]

EXIT_ERROR: Final = 1
"""Exit status of a command that failed (the reason is on stderr)."""
EXIT_PARTIAL: Final = 3
"""Exit status of a command that finished but failed for some items (see its summary)."""
EXIT_INTERRUPTED: Final = 130
"""Exit status after Ctrl-C (128 + SIGINT), once the summary of what was done is printed."""

_USER_AGENT: Final = "constructs-a2i-cli"
_FATAL_CODES: Final = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "ServiceQuotaExceededException",
    }
)


class OutputFormat(enum.StrEnum):
    """How commands print their results: ``table`` for people, ``json`` for scripts."""

    table = "table"
    json = "json"


@dataclass(frozen=True, slots=True)
class AwsOptions:
    """The global options of the ``a2i`` command."""

    region: str | None = None
    """``--region``: the AWS Region (default: the profile's or ``AWS_REGION``)."""
    profile: str | None = None
    """``--profile``: a named profile of the AWS config files (default: ``AWS_PROFILE``)."""
    endpoint_url: str | None = None
    """``--endpoint-url``: the SageMaker and A2I runtime endpoint (default: AWS's)."""
    output: OutputFormat = OutputFormat.table
    """``--output``: ``table`` or ``json``."""


def global_options(
    ctx: typer.Context,
    region: Annotated[
        str | None,
        typer.Option("--region", help="AWS Region (default: AWS_REGION or the profile's)."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Named AWS profile (default: AWS_PROFILE)."),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(
            "--endpoint-url",
            help="Endpoint for the SageMaker and A2I runtime calls (e.g. a local fake).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option("--output", case_sensitive=False, help="Output format."),
    ] = OutputFormat.table,
) -> None:
    """Tools for Amazon A2I human review workflows built with constructs_a2i."""
    ctx.obj = AwsOptions(region=region, profile=profile, endpoint_url=endpoint_url, output=output)


def options(ctx: typer.Context) -> AwsOptions:
    """The global options of the running command (defaults when there are none)."""
    found = ctx.find_object(AwsOptions)
    return found if found is not None else AwsOptions()


class CliError(Exception):
    """An error to report as one line (``error: <message>``) with exit status ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        """What went wrong and what to do about it."""
        self.exit_code = exit_code
        """The process exit status."""


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


class Clients:
    """boto3 clients for one command run, built from the global options.

    botocore's own retries are off: :func:`constructs_a2i.cli._retry.call_with_retries`
    retries (and counts) instead.
    """

    def __init__(self, aws: AwsOptions, *, max_pool_connections: int = 10) -> None:
        self.aws = aws
        """The global options the clients follow."""
        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": 1},
            max_pool_connections=max(10, max_pool_connections),
            connect_timeout=10,
            read_timeout=30,
            user_agent_extra=_USER_AGENT,
        )
        self._session: boto3.session.Session | None = None

    @property
    def session(self) -> boto3.session.Session:
        """The boto3 session of ``--profile`` and ``--region``."""
        if self._session is None:
            core = botocore.session.get_session()
            # Service models are read-only data: parse them once per process, not per run.
            core.register_component("data_loader", _shared_loader())
            self._session = boto3.session.Session(
                botocore_session=core, profile_name=self.aws.profile, region_name=self.aws.region
            )
        return self._session

    @property
    def region(self) -> str:
        """The Region calls go to; raise CliError when none is configured."""
        # botocore reads AWS_DEFAULT_REGION; AWS_REGION is what the other SDKs and the
        # Lambda runtime set, so honour it too.
        region = self.session.region_name or os.environ.get("AWS_REGION")
        if not region:
            raise CliError(
                "no AWS Region is configured: pass --region, set AWS_REGION, or set a region "
                "in your AWS profile"
            )
        return region

    def a2i(self, region: str | None = None) -> AugmentedAIRuntimeClient:
        """An A2I runtime client (``--endpoint-url`` applies)."""
        return self.session.client(
            "sagemaker-a2i-runtime",
            region_name=region or self.region,
            endpoint_url=self.aws.endpoint_url,
            config=self._config,
        )

    def sagemaker(self, region: str | None = None) -> SageMakerClient:
        """A SageMaker client (``--endpoint-url`` applies)."""
        return self.session.client(
            "sagemaker",
            region_name=region or self.region,
            endpoint_url=self.aws.endpoint_url,
            config=self._config,
        )

    def s3(self) -> S3Client:
        """An S3 client (its endpoint: AWS's, or ``AWS_ENDPOINT_URL_S3``)."""
        return self.session.client("s3", region_name=self.region, config=self._config)

    def cloudformation(self) -> Any:
        """A CloudFormation client (its endpoint: AWS's or ``AWS_ENDPOINT_URL_CLOUDFORMATION``)."""
        return self.session.client("cloudformation", region_name=self.region, config=self._config)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(error: BaseException) -> str:
    """One line that says what went wrong and, where it helps, what to do."""
    if isinstance(error, CliError):
        return _one_line(error.message)
    if isinstance(error, RetriesExhausted):
        operation = getattr(error.last, "operation_name", None) or "the call"
        if error.throttled:
            return (
                f"throttled: {operation} was still throttled after {error.attempts} attempts; "
                "lower --rate or try again later"
            )
        return _one_line(
            f"{operation} kept failing ({error.code}) after {error.attempts} attempts: "
            f"{_client_message(error.last)}"
        )
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        return (
            "no AWS credentials found: run `aws configure` or `aws sso login`, pass --profile, "
            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, NoRegionError):
        return "no AWS Region is configured: pass --region or set AWS_REGION"
    if isinstance(error, ProfileNotFound):
        return _one_line(f"{error}: check --profile or AWS_PROFILE")
    if isinstance(error, EndpointConnectionError):
        return _one_line(f"{error}: check --endpoint-url, --region and your network")
    if isinstance(error, ParamValidationError):
        return _one_line(f"invalid request: {error}")
    if isinstance(error, ClientError):
        code = error_code(error)
        operation = error.operation_name
        message = _client_message(error)
        if code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
            return "your AWS credentials have expired: refresh them (e.g. `aws sso login`)"
        if code in {
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "InvalidSignatureException",
            "SignatureDoesNotMatch",
        }:
            return _one_line(f"AWS rejected your credentials ({code}): {message}")
        if code in {"AccessDenied", "AccessDeniedException"}:
            return _one_line(f"access denied for {operation}: {message}")
        return _one_line(f"{operation} failed: {code}: {message}")
    if isinstance(error, BotoCoreError | OSError):
        return _one_line(str(error))
    return _one_line(f"unexpected {type(error).__name__}: {error}")


def is_fatal(error: BaseException) -> bool:
    """True for errors every further call would hit too, so a bulk run should stop.

    Missing, rejected or expired credentials, access denied, an exhausted quota, retries
    exhausted, and botocore errors other than request validation (an unreachable endpoint).
    """
    if isinstance(error, RetriesExhausted | NoCredentialsError | PartialCredentialsError):
        return True
    if isinstance(error, ClientError):
        return error_code(error) in _FATAL_CODES
    return isinstance(error, BotoCoreError) and not isinstance(error, ParamValidationError)


def _client_message(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Message") or error)
    return str(error)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Report any exception as ``error: <one line>`` on stderr and exit non-zero.

    Typer's own exits (``typer.Exit``, usage errors, ``typer.Abort``) pass through.
    """
    try:
        yield
    except (typer.Exit, typer.Abort, typer.TyperException):
        raise
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except Exception as error:
        code = error.exit_code if isinstance(error, CliError) else EXIT_ERROR
        typer.echo(f"error: {describe_error(error)}", err=True)
        raise typer.Exit(code) from None


def stdout_console() -> Console:
    """A Rich console on stdout (summaries and tables)."""
    return Console(file=sys.stdout, highlight=False)


def stderr_console() -> Console:
    """A Rich console on stderr (progress bars)."""
    return Console(file=sys.stderr, highlight=False)


def to_jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO 8601 strings and without ``ResponseMetadata``."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def _cell(value: Any) -> Text:
    if value is None:
        return Text("")
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return Text(moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return Text(str(to_jsonable(value)))


def print_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, title: str | None = None
) -> None:
    """Print a Rich table on stdout: no markup, times in UTC, the first column unwrapped."""
    console = stdout_console()
    if title:
        console.print(Text(title, style="bold"), soft_wrap=True)
    table = Table()
    for index, column in enumerate(columns):
        table.add_column(column, overflow="fold", no_wrap=index == 0)
    for row in rows:
        table.add_row(*(_cell(cell) for cell in row))
    console.print(table)
