"""botocore failures become Goldenpath errors in one place, with the retry policy they need."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.parsers import ResponseParserError

from reconciler.cloud import CallSite, CloudRejected, Target
from reconciler.cloud.failures import Failure, classify, translate
from reconciler.errors import CloudError, CloudThrottled, CloudUnreachable
from tests.cloud.conftest import CloudFactory, token, topic_stack
from tests.cloud.flaky_proxy import FlakyProxy

TARGET = Target("333333333333", "us-west-2")
SITE = CallSite("UpdateStack", "svc-web-prod", TARGET)


def _client_error(code: str, status: int = 400, message: str = "details") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "UpdateStack")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_client_error("Throttling"), Failure.THROTTLED),
        (_client_error("ThrottlingException"), Failure.THROTTLED),
        (_client_error("RequestLimitExceeded"), Failure.THROTTLED),
        (_client_error("TooManyRequestsException"), Failure.THROTTLED),
        (_client_error("SomethingNew", status=429), Failure.THROTTLED),
        (_client_error("ServiceUnavailable", status=503), Failure.THROTTLED),
        (_client_error("InternalFailure", status=500), Failure.UNREACHABLE),
        (_client_error("BadGateway", status=502), Failure.UNREACHABLE),
        (_client_error("ExpiredToken", status=403), Failure.EXPIRED_CREDENTIALS),
        (_client_error("ValidationError"), Failure.REJECTED),
        (_client_error("AccessDenied", status=403), Failure.REJECTED),
        (EndpointConnectionError(endpoint_url="http://x"), Failure.UNREACHABLE),
        (ConnectionClosedError(endpoint_url="http://x"), Failure.UNREACHABLE),
        (ReadTimeoutError(endpoint_url="http://x"), Failure.UNREACHABLE),
        (ResponseParserError("not XML"), Failure.UNREACHABLE),
        (SSLError(endpoint_url="http://x", error="bad certificate"), Failure.REJECTED),
        (NoCredentialsError(), Failure.REJECTED),
    ],
    ids=lambda value: getattr(value, "name", type(value).__name__),
)
def test_each_failure_gets_its_retry_policy(error: Exception, expected: Failure) -> None:
    assert classify(error) is expected


def test_an_error_that_is_not_botocore_is_not_classified() -> None:
    assert classify(KeyError("StackId")) is None


def test_exhausted_throttling_becomes_cloud_throttled_with_the_next_delay() -> None:
    error = translate(
        _client_error("Throttling", message="Rate exceeded"),
        Failure.THROTTLED,
        SITE,
        attempts=8,
        delay=20.0,
    )

    assert isinstance(error, CloudThrottled)
    assert error.delay == 20.0
    assert str(error) == (
        "UpdateStack svc-web-prod in 333333333333/us-west-2: throttled after 8 attempts: "
        "Throttling: Rate exceeded"
    )


def test_an_exhausted_network_failure_becomes_cloud_unreachable() -> None:
    error = translate(
        EndpointConnectionError(endpoint_url="http://x"),
        Failure.UNREACHABLE,
        SITE,
        attempts=3,
        delay=2.0,
    )

    assert isinstance(error, CloudUnreachable)
    assert "cloud unreachable after 3 attempts: EndpointConnectionError:" in str(error)


def test_a_rejected_call_keeps_the_aws_code_and_message() -> None:
    error = translate(
        _client_error("ValidationError", message="Template format error"),
        Failure.REJECTED,
        SITE,
        attempts=1,
        delay=0.5,
    )

    assert isinstance(error, CloudRejected)
    assert isinstance(error, CloudError)
    assert (error.code, error.aws_message, error.attempts) == (
        "ValidationError",
        "Template format error",
        1,
    )
    assert str(error) == (
        "UpdateStack svc-web-prod in 333333333333/us-west-2: ValidationError: Template format error"
    )


def test_an_error_before_any_request_keeps_the_botocore_class_as_code() -> None:
    error = translate(NoCredentialsError(), Failure.REJECTED, SITE, attempts=1, delay=0.5)

    assert isinstance(error, CloudRejected)
    assert error.code == "NoCredentialsError"
    assert "Unable to locate credentials" in error.aws_message


def test_a_refused_role_is_rejected_naming_assume_role_and_the_target(
    make_cloud: CloudFactory, proxy: FlakyProxy, target: Target
) -> None:
    cloud = make_cloud(endpoint_url=proxy.url)
    proxy.fail("AssumeRole", "access_denied")

    with pytest.raises(CloudRejected) as caught:
        cloud.create(target, topic_stack("env-test"), token())

    assert caught.value.code == "AccessDenied"
    assert caught.value.site.operation == "AssumeRole"
    assert str(caught.value).startswith(f"AssumeRole in {target}: AccessDenied: User is not")
    assert isinstance(caught.value.__cause__, ClientError)
    assert proxy.count("CreateStack") == 0


@pytest.mark.parametrize(
    ("operation", "code", "unauthorized"),
    [
        ("UpdateStack", "NoCredentialsError", True),
        ("UpdateStack", "InvalidClientTokenId", True),
        ("UpdateStack", "SignatureDoesNotMatch", True),
        ("AssumeRole", "AccessDenied", True),  # the environment's role cannot be assumed
        ("UpdateStack", "AccessDenied", False),  # what the stack asks for is denied
        ("UpdateStack", "ValidationError", False),
    ],
)
def test_a_refusal_for_whose_call_it_was_is_told_apart_from_one_for_what_it_asked(
    operation: str, code: str, unauthorized: bool
) -> None:
    refused = CloudRejected(CallSite(operation, "svc-web-prod", TARGET), code, "no", 1)
    assert refused.is_unauthorized is unauthorized
