"""The one place where boto3 and botocore errors become Goldenpath errors.

Every call to AWS goes through ``AwsTransport``; when it fails, ``classify`` decides
whether the failure is worth retrying and ``translate`` turns it into the error tree of
``reconciler.errors``, always raised ``from`` the original:

    botocore failure                                    after retries run out
    ───────────────────────────────────────────────     ─────────────────────────────
    throttling code, HTTP 429 or 503                    CloudThrottled   (Waiting)
    connection refused/closed, timeouts, HTTP 5xx,      CloudUnreachable (Waiting)
      an unreadable response
    ExpiredToken                                        refreshed once, then CloudRejected
    any other service error (ValidationError, ...)      CloudRejected    (CloudError)
    no credentials, bad configuration                   CloudRejected    (CloudError)

``CloudRejected`` keeps the AWS error code, so callers can recognise the few answers that
are outcomes rather than errors (“No updates are to be performed”) without ever seeing a
botocore type. ``WaitTimedOut`` is raised when stacks are still moving after a wait's
deadline. Both subclass the shared tree; they live here because only the cloud edge
raises them.

botocore is imported inside the functions: they run only after a call failed, when it is
loaded anyway, and a CLI run that never calls AWS must not pay for the import.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import CloudError, CloudThrottled, CloudUnreachable, GoldenpathError, Waiting

if TYPE_CHECKING:
    from reconciler.cloud.model import StackRef, StackState, Target

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)
_TRANSIENT_CODES = frozenset(
    {"InternalFailure", "InternalError", "ServiceUnavailable", "RequestTimeout"}
)
_EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException"})
# AWS's codes, and botocore's error classes, for a caller without usable credentials.
_UNAUTHORIZED_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "NoCredentialsError",
        "PartialCredentialsError",
        "CredentialRetrievalError",
    }
)
_THROTTLING_STATUSES = frozenset({429, 503})
_SERVER_ERROR_STATUSES = frozenset({500, 502, 504})


class Failure(enum.Enum):
    """What kind of failure a call met, which decides the retry policy."""

    THROTTLED = "throttled"  # retry with backoff
    UNREACHABLE = "unreachable"  # retry with backoff
    EXPIRED_CREDENTIALS = "expired_credentials"  # refresh the role, retry once
    REJECTED = "rejected"  # permanent for this request: never retried


@dataclass(frozen=True)
class CallSite:
    """Which call failed: the API operation, the stack it was about, and the target."""

    operation: str
    stack: str | None
    target: Target

    def describe(self) -> str:
        about = f" {self.stack}" if self.stack else ""
        return f"{self.operation}{about} in {self.target}"


class CloudRejected(CloudError):
    """AWS answered a call with an error that retrying cannot fix.

    ``code`` is the AWS error code (``ValidationError``, ``AlreadyExistsException``,
    ``AccessDenied`` ...) or the botocore error class for failures before a request was
    sent; ``aws_message`` is AWS's own wording; ``attempts`` counts the tries, so a
    caller can tell whether an earlier try may already have taken effect.
    """

    def __init__(self, site: CallSite, code: str, aws_message: str, attempts: int) -> None:
        self.site = site
        self.code = code
        self.aws_message = aws_message
        self.attempts = attempts
        super().__init__(f"{site.describe()}: {code}: {aws_message}")

    @property
    def is_unauthorized(self) -> bool:
        """The call was refused for whose it was, not for what it asked: no credentials,
        credentials AWS does not know, or a role that cannot be assumed. Fixing that
        fixes every call, so it says nothing against the stack's template."""
        return self.code in _UNAUTHORIZED_CODES or (
            self.code == "AccessDenied" and self.site.operation == "AssumeRole"
        )

    @property
    def is_no_updates(self) -> bool:
        """UpdateStack found nothing to change: an outcome, not a failure."""
        return self.code == "ValidationError" and "No updates are to be performed" in (
            self.aws_message
        )

    @property
    def is_missing_stack(self) -> bool:
        """The named stack does not exist (CloudFormation says so with a ValidationError)."""
        return self.code == "ValidationError" and "does not exist" in self.aws_message

    @property
    def is_already_exists(self) -> bool:
        return self.code == "AlreadyExistsException"


class WaitTimedOut(Waiting):
    """Stacks were still in progress when a wait's deadline passed.

    ``states`` holds the last state seen for every stack waited on (``None``: gone), so
    the caller can record progress and wait again later; nothing failed.
    """

    def __init__(
        self, message: str, states: Mapping[StackRef, StackState | None], delay: float
    ) -> None:
        self.states = dict(states)
        super().__init__(message, delay=delay)


def is_empty_change_set(status_reason: str | None) -> bool:
    """A FAILED change set whose reason says there was nothing to change."""
    reason = status_reason or ""
    return "didn't contain changes" in reason or "No updates are to be performed" in reason


def classify(exc: BaseException) -> Failure | None:
    """Decide the retry policy for an exception from a boto3 call; ``None``: not botocore's."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        HTTPClientError,
        SSLError,
    )
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ClientError):
        code = _error_code(exc)
        status = _http_status(exc)
        if code in _THROTTLING_CODES or status in _THROTTLING_STATUSES:
            return Failure.THROTTLED
        if code in _EXPIRED_CODES:
            return Failure.EXPIRED_CREDENTIALS
        if code in _TRANSIENT_CODES or status in _SERVER_ERROR_STATUSES:
            return Failure.UNREACHABLE
        return Failure.REJECTED
    if isinstance(exc, SSLError):
        return Failure.REJECTED  # a certificate problem does not heal by retrying
    if isinstance(exc, ConnectionError | HTTPClientError | ResponseParserError):
        # ResponseParserError: a proxy or overloaded endpoint answered with HTML.
        return Failure.UNREACHABLE
    if isinstance(exc, BotoCoreError):
        return Failure.REJECTED
    return None


def translate(
    exc: BaseException, failure: Failure, site: CallSite, attempts: int, delay: float
) -> GoldenpathError:
    """The Goldenpath error for a failure that will not be retried (any more) here.

    ``delay`` is the pause this edge would have taken next; a transient error carries it
    so the engine's own retry starts from there.
    """
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code, message = _error_code(exc), _error_message(exc)
    else:
        code, message = type(exc).__name__, str(exc)
    tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
    if failure is Failure.THROTTLED:
        return CloudThrottled(
            f"{site.describe()}: throttled after {tries}: {code}: {message}", delay=delay
        )
    if failure is Failure.UNREACHABLE:
        return CloudUnreachable(
            f"{site.describe()}: cloud unreachable after {tries}: {code}: {message}",
            delay=delay,
        )
    return CloudRejected(site, code, message, attempts)


def _error_code(exc: object) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code") or "Unknown")


def _error_message(exc: object) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Message") or "no message")


def _http_status(exc: object) -> int | None:
    meta = getattr(exc, "response", {}).get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    return int(status) if status is not None else None
