"""A role belongs to the account it is written beside; a connection ARN is one.

Assuming a role lands every stack in the role's own account, so a ``roleArn`` of account
999999999999 beside ``id: "111111111111"`` would deploy where no spec says.
"""

from __future__ import annotations

import pytest

from reconciler.specs.loader import load_specs
from reconciler.specs.model import Account

ENVIRONMENT = b"""apiVersion: goldenpath.dev/v1
kind: Environment
metadata: {name: test}
spec:
  template: {name: env, version: "1"}
  account:
    id: "111111111111"
    region: us-west-2
    roleArn: "arn:aws:iam::999999999999:role/goldenpath-deployer"
"""

PLATFORM = b"""apiVersion: goldenpath.dev/v1
kind: Platform
metadata: {name: pizza-ananas}
spec:
  pipelines:
    account:
      id: "444444444444"
      roleArn: "arn:aws:iam::999999999999:role/goldenpath-deployer"
"""
CONNECTION = "arn:aws:codestar-connections:us-west-2:444444444444:connection/3f6c1a2e-9b4d"


def test_an_environment_role_of_another_account_is_refused_at_the_role() -> None:
    specs, [problem] = load_specs({"environments/test.yaml": ENVIRONMENT})
    assert (problem.file, problem.line, problem.field) == (
        "environments/test.yaml",
        9,
        "spec.account.roleArn",
    )
    assert problem.message.startswith(
        "the role is in account 999999999999, not in account 111111111111 that "
        "spec.account.id names"
    )
    assert "expected a role of account 111111111111" in problem.message
    # Kept, so that its instances are refused by name rather than "no such environment";
    # the build refuses every unit aimed at it (tests/desired/test_targets.py).
    assert "test" in specs.environments


def test_the_pipelines_role_of_another_account_is_refused_at_the_role() -> None:
    specs, [problem] = load_specs({"goldenpath.yaml": PLATFORM})
    assert (problem.file, problem.line, problem.field) == (
        "goldenpath.yaml",
        8,
        "spec.pipelines.account.roleArn",
    )
    assert "not in account 444444444444 that spec.pipelines.account.id names" in problem.message
    assert specs.platform_error == str(problem)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::111111111111:user/bob",
        "arn:aws:s3:::goldenpath-deployer",
        "arn:aws:sts::111111111111:assumed-role/deployer/session",
        "goldenpath-deployer",
    ],
)
def test_a_role_arn_that_is_no_iam_role_is_refused(arn: str) -> None:
    env = ENVIRONMENT.replace(b"arn:aws:iam::999999999999:role/goldenpath-deployer", arn.encode())
    _specs, [problem] = load_specs({"environments/test.yaml": env})
    assert (problem.line, problem.field) == (9, "spec.account.roleArn")
    assert "expected the IAM role Goldenpath assumes" in problem.message
    assert "arn:aws:iam::<account id>:role/<name>" in problem.message


@pytest.mark.parametrize(
    ("role", "problem"),
    [
        (None, None),
        ("arn:aws:iam::111111111111:role/deployer", None),
        ("arn:aws-us-gov:iam::111111111111:role/path/deployer", None),
        ("arn:aws:iam::222222222222:role/deployer", "the role is in account 222222222222"),
        ("arn:aws:iam::111111111111:user/deployer", "is not an IAM role ARN"),
    ],
)
def test_an_account_says_whether_its_role_is_its_own(role: str | None, problem: str | None) -> None:
    found = Account("111111111111", "us-west-2", role).role_problem()
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_repository_connections_per_provider_are_loaded() -> None:
    platform = PLATFORM.replace(b"999999999999", b"444444444444") + (
        f"    repositoryConnections:\n      github: {CONNECTION}\n".encode()
    )
    specs, problems = load_specs({"goldenpath.yaml": platform})
    assert problems == []
    assert specs.platform.repository_connections == {"github": CONNECTION}


@pytest.mark.parametrize(
    ("entry", "field", "expected"),
    [
        (
            f"codecommit: {CONNECTION}",
            "spec.pipelines.repositoryConnections.codecommit",
            "unknown field 'codecommit'; expected one of: bitbucket, github, gitlab",
        ),
        (
            "github: arn:aws:iam::444444444444:role/x",
            "spec.pipelines.repositoryConnections.github",
            "expected a CodeStar (CodeConnections) connection ARN",
        ),
    ],
)
def test_a_wrong_repository_connection_is_refused(entry: str, field: str, expected: str) -> None:
    platform = PLATFORM.replace(b"999999999999", b"444444444444") + (
        f"    repositoryConnections:\n      {entry}\n".encode()
    )
    _specs, [problem] = load_specs({"goldenpath.yaml": platform})
    assert (problem.line, problem.field) == (10, field)
    assert expected in problem.message
