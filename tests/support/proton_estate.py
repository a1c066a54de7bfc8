"""The Proton tutorial's chapter 1, deployed as Proton deployed it: what Proton left behind.

Environments ``VPC-ECSCluster-Env-Test`` (account 111111111111) and
``VPC-ECSCluster-Env-Production`` (333333333333), service ``my-webapp`` on
lb-fargate-svc v1 with instances ``test`` and ``production``, and its pipeline in the
Proton management account (444444444444), all in us-west-2. The inputs are the
tutorial's (chapter 1 README, "Deploying the service", and ``specs/svc-spec.yaml``):
both instances take svc-spec's ``desired_count: 2, port: 80, task_size: medium``; the
README changes only ``indexhtmlcontent`` for production. The environments accept the
defaults, as the README says (env-spec's ``vpc_cidr: 10.0.0.0/16``).

The stacks are made with boto3 CreateStack (Proton's name, tags, rendered body, no
parameters), never through Goldenpath's apply. Tests that share one emulator pass accounts
of their own (``TutorialAccounts``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from emulator.proton import DeployedStack, ProtonDeployer
from goldenpath.proton_estate import (
    Estate,
    EstateEnvironment,
    EstateService,
    bundle,
    deploy_estate,
    environment_spec,
    service_spec,
)
from tests.conftest import require_shared
from tests.support.tutorial import (
    CONNECTION,
    PIPELINE_ACCOUNT,
    PRODUCTION_ACCOUNT,
    PRODUCTION_ENV,
    TEST_ACCOUNT,
    TEST_ENV,
    TUTORIAL,
)

REGION = "us-west-2"
SERVICE = "my-webapp"
ENV_TEMPLATE = "vpc-ecscluster-env"
SVC_TEMPLATE = "lb-fargate-svc"
REPOSITORY = "pizza-ananas/nginx-custom-site"
BRANCH = "main"
TEST_CONTENT = "I am running in the test environment"
PRODUCTION_CONTENT = "I am running in the production environment"
UNIT_TEST_COMMAND = "ls"

# The tutorial's EnvironmentSpec (specs/env-spec.yaml): both environments take it.
ENVIRONMENT_SPEC = """proton: EnvironmentSpec
spec:
  vpc_cidr: "10.0.0.0/16"
"""

SERVICE_SPEC = f"""proton: ServiceSpec

pipeline:
  unit_test_command: "{UNIT_TEST_COMMAND}"

instances:
  - name: "test"
    environment: "{TEST_ENV}"
    spec:
      desired_count: 2
      port: 80
      task_size: "medium"
      indexhtmlcontent: "{TEST_CONTENT}"
  - name: "production"
    environment: "{PRODUCTION_ENV}"
    spec:
      desired_count: 2
      port: 80
      task_size: "medium"
      indexhtmlcontent: "{PRODUCTION_CONTENT}"
"""

UNITS = (
    f"environment/{TEST_ENV}",
    f"environment/{PRODUCTION_ENV}",
    f"service/{SERVICE}/test",
    f"service/{SERVICE}/production",
    f"pipeline/{SERVICE}",
)


@dataclass(frozen=True)
class TutorialAccounts:
    """Where the estate lives: one account per environment, and Proton's own for pipelines."""

    test: str = TEST_ACCOUNT
    production: str = PRODUCTION_ACCOUNT
    pipelines: str = PIPELINE_ACCOUNT

    def all(self) -> tuple[str, str, str]:
        return (self.test, self.production, self.pipelines)


@dataclass(frozen=True)
class TutorialEstate:
    """What the estate created (unit id → stack) and the files a team would still have."""

    accounts: TutorialAccounts
    stacks: dict[str, DeployedStack]
    templates: Path  # <name>/v<N>/ bundles, Proton's template-sync layout
    spec_files: dict[str, Path]  # "environment/<name>" | "service/<name>" → Proton spec file


def write_templates(root: Path) -> Path:
    """The tutorial's bundles, unmodified, as a template-sync repo: ``<name>/v1/``."""
    require_shared(TUTORIAL)
    for name in (ENV_TEMPLATE, SVC_TEMPLATE):
        shutil.copytree(TUTORIAL / name / "v1", root / name / "v1")
    return root


def write_spec_files(root: Path) -> dict[str, Path]:
    """The Proton spec files of the estate, one per environment and one for my-webapp."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for env in (TEST_ENV, PRODUCTION_ENV):
        path = root / f"{env}.yaml"
        path.write_text(ENVIRONMENT_SPEC)
        files[f"environment/{env}"] = path
    path = root / f"{SERVICE}.yaml"
    path.write_text(SERVICE_SPEC)
    files[f"service/{SERVICE}"] = path
    return files


def chapter1_estate(
    endpoint_url: str, workdir: Path, accounts: TutorialAccounts | None = None
) -> TutorialEstate:
    """Deploy chapter 1 as Proton did; ``workdir`` receives the bundles and spec files."""
    accounts = accounts or TutorialAccounts()
    templates = write_templates(workdir / "templates")
    spec_files = write_spec_files(workdir / "proton-specs")
    env_bundle = bundle(templates / ENV_TEMPLATE / "v1")
    svc_bundle = bundle(templates / SVC_TEMPLATE / "v1")
    estate = Estate(
        management_account=accounts.pipelines,
        region=REGION,
        environments=tuple(
            EstateEnvironment(
                name=env,
                bundle=env_bundle,
                spec=environment_spec(spec_files[f"environment/{env}"]),
                account=account,
                region=REGION,
            )
            for env, account in ((TEST_ENV, accounts.test), (PRODUCTION_ENV, accounts.production))
        ),
        services=(
            EstateService(
                name=SERVICE,
                bundle=svc_bundle,
                spec=service_spec(spec_files[f"service/{SERVICE}"]),
                repository_id=REPOSITORY,
                branch=BRANCH,
                connection_arn=CONNECTION.replace(PIPELINE_ACCOUNT, accounts.pipelines),
            ),
        ),
    )
    stacks = deploy_estate(estate, ProtonDeployer(endpoint_url))
    return TutorialEstate(accounts, stacks, templates, spec_files)
