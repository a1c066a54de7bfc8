"""``spec.terraform`` of goldenpath.yaml: the provisioning repository, and clear errors."""

from __future__ import annotations

import pytest

from reconciler.specs.loader import load_specs
from reconciler.specs.model import TerraformSettings


def _load(terraform: str) -> tuple[TerraformSettings, list[str]]:
    text = (
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        f"  region: us-west-2\n  terraform:\n{terraform}"
    )
    specs, problems = load_specs({"goldenpath.yaml": text.encode()})
    return specs.platform.terraform, [str(p) for p in problems]


def test_without_spec_terraform_there_is_no_provisioning_repository() -> None:
    specs, problems = load_specs({})

    assert problems == []
    assert specs.platform.terraform.repository is None
    assert specs.platform.terraform.notification_timeout == 3600.0


def test_the_design_example_loads_with_a_clone_url_and_a_timeout() -> None:
    terraform, problems = _load(
        "    repository: {provider: github, repo: pizza-ananas/provisioning, branch: main,\n"
        "                 url: 'file:///srv/git/provisioning.git'}\n"
        "    notificationTimeout: 90m\n"
    )

    assert problems == []
    assert terraform.repository is not None
    assert (terraform.repository.provider, terraform.repository.repo) == (
        "github",
        "pizza-ananas/provisioning",
    )
    assert terraform.repository.clone_url == "file:///srv/git/provisioning.git"
    assert terraform.notification_timeout == 5400.0


def test_the_clone_url_defaults_to_the_forge_host() -> None:
    terraform, _ = _load("    repository: {provider: gitlab, repo: acme/infra/provisioning}\n")

    assert terraform.repository is not None
    assert terraform.repository.branch == "main"
    assert terraform.repository.clone_url == "https://gitlab.com/acme/infra/provisioning.git"


@pytest.mark.parametrize(
    ("terraform", "expected"),
    [
        (
            "    repository: {provider: bitbucket, repo: a/b}\n",
            "goldenpath.yaml:7 spec.terraform.repository.provider",
        ),
        (
            "    repository: {provider: github}\n",
            "goldenpath.yaml:7 spec.terraform.repository.repo: missing required field 'repo'",
        ),
        (
            "    repository: {provider: github, repo: just-a-name}\n",
            "goldenpath.yaml:7 spec.terraform.repository.repo: expected owner/name for a "
            "GitHub repository, got 'just-a-name'",
        ),
        (
            "    notificationTimeout: 10s\n",
            "goldenpath.yaml:7 spec.terraform.notificationTimeout: '10s' is too short",
        ),
        (
            "    notificationTimeout: soon\n",
            "goldenpath.yaml:7 spec.terraform.notificationTimeout",
        ),
    ],
)
def test_bad_settings_say_file_line_and_field(terraform: str, expected: str) -> None:
    _, problems = _load(terraform)

    assert problems, "expected a problem"
    assert problems[0].startswith(expected), problems
