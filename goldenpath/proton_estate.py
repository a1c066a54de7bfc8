"""A Proton estate in an emulated cloud: each unit rendered as Proton did, deployed as it did.

Rendering is Goldenpath's Proton-compatible renderer (``reconciler.proton_import.rendering``);
deploying is the emulator's Proton-like deployer (``emulator.proton``): one CreateStack per
unit with Proton's stack name and ``proton:*`` tags, no parameters, in the account where
Proton put it. Order is Proton's: environments first, their live outputs feeding the
instances' ``environment.outputs``, the instances' outputs feeding the pipeline's
``service_instances``.

This lives in the composition root because it joins the engine's renderer and the
emulator, which may not import each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog

from emulator.proton import DeployedStack, ProtonDeployer, ProtonStack, proton_tags
from reconciler.proton_import.proton_specs import (
    ProtonEnvironmentSpec,
    ProtonServiceSpec,
    parse_environment_spec,
    parse_service_spec,
)
from reconciler.proton_import.rendering import (
    inputs_with_defaults,
    render_environment,
    render_instance,
    render_pipeline,
)
from reconciler.render import EnvironmentInfo, InstanceInfo, Renderer, ServiceInfo
from reconciler.templates.bundle import read_bundle_dir
from reconciler.templates.model import Bundle

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EstateEnvironment:
    """An environment as it was in Proton: its template, its spec file, its account."""

    name: str
    bundle: Bundle
    spec: ProtonEnvironmentSpec
    account: str
    region: str


@dataclass(frozen=True)
class EstateService:
    """A service as it was in Proton: its template, its spec file, its source repository."""

    name: str
    bundle: Bundle
    spec: ProtonServiceSpec
    repository_id: str | None = None
    branch: str | None = None
    connection_arn: str | None = None

    @property
    def info(self) -> ServiceInfo:
        return ServiceInfo(
            name=self.name,
            repository_id=self.repository_id,
            repository_connection_arn=self.connection_arn,
            branch_name=self.branch,
        )


@dataclass(frozen=True)
class Estate:
    """What Proton ran: its management account (pipelines live there) and its units."""

    management_account: str
    region: str
    environments: tuple[EstateEnvironment, ...]
    services: tuple[EstateService, ...] = ()

    def environment(self, name: str) -> EstateEnvironment:
        for env in self.environments:
            if env.name == name:
                return env
        raise ValueError(f"no environment {name!r} in the estate")


def bundle(path: Path) -> Bundle:
    """A template bundle from a ``<name>/v<N>`` folder (template-sync layout)."""
    return read_bundle_dir(path)


def environment_spec(path: Path) -> ProtonEnvironmentSpec:
    return parse_environment_spec(path.read_bytes(), str(path))


def service_spec(path: Path) -> ProtonServiceSpec:
    return parse_service_spec(path.read_bytes(), str(path))


def deploy_estate(
    estate: Estate, deployer: ProtonDeployer, renderer: Renderer | None = None
) -> dict[str, DeployedStack]:
    """Render and deploy every unit; what was created, by Goldenpath unit id.

    Unit ids: ``environment/<env>``, ``service/<svc>/<instance>``, ``pipeline/<svc>``.
    """
    renderer = renderer or Renderer()
    made: dict[str, DeployedStack] = {}
    for env in estate.environments:
        body = render_environment(
            renderer, env.bundle, name=env.name, account_id=env.account, inputs=env.spec.inputs
        )
        tags = proton_tags(
            "environment",
            region=estate.region,
            management_account=estate.management_account,
            template=env.bundle.name,
            environment=env.name,
        )
        made[f"environment/{env.name}"] = _deploy(
            deployer, ProtonStack("environment", env.account, env.region, env.name, body, tags)
        )
    for service in estate.services:
        made.update(_deploy_service(estate, service, made, deployer, renderer))
    return made


def _deploy_service(
    estate: Estate,
    service: EstateService,
    made: Mapping[str, DeployedStack],
    deployer: ProtonDeployer,
    renderer: Renderer,
) -> dict[str, DeployedStack]:
    deployed: dict[str, DeployedStack] = {}
    seen: list[InstanceInfo] = []
    for instance in service.spec.instances:
        env = estate.environment(instance.environment)
        environment = EnvironmentInfo(
            name=env.name,
            account_id=env.account,
            outputs=dict(made[f"environment/{env.name}"].outputs),
        )
        body = render_instance(
            renderer,
            service.bundle,
            service=service.info,
            instance=instance.name,
            inputs=instance.inputs,
            environment=environment,
        )
        tags = proton_tags(
            "service-instance",
            region=estate.region,
            management_account=estate.management_account,
            template=service.bundle.name,
            environment=env.name,
            service=service.name,
            instance=instance.name,
        )
        stack = _deploy(
            deployer,
            ProtonStack("service-instance", env.account, env.region, service.name, body, tags),
        )
        deployed[f"service/{service.name}/{instance.name}"] = stack
        seen.append(
            InstanceInfo(
                name=instance.name,
                inputs=inputs_with_defaults(service.bundle, "service", instance.inputs),
                environment=environment,
                outputs=dict(stack.outputs),
            )
        )
    if service.bundle.has_pipeline and service.spec.pipeline_inputs is not None:
        body = render_pipeline(
            renderer,
            service.bundle,
            service=service.info,
            inputs=service.spec.pipeline_inputs,
            instances=seen,
        )
        tags = proton_tags(
            "pipeline",
            region=estate.region,
            management_account=estate.management_account,
            template=service.bundle.name,
            service=service.name,
        )
        deployed[f"pipeline/{service.name}"] = _deploy(
            deployer,
            ProtonStack(
                "pipeline", estate.management_account, estate.region, service.name, body, tags
            ),
        )
    return deployed


def _deploy(deployer: ProtonDeployer, stack: ProtonStack) -> DeployedStack:
    made = deployer.deploy(stack)
    log.info(
        "proton_estate.deployed",
        kind=stack.kind,
        account=made.account,
        region=made.region,
        stack=made.stack_name,
    )
    return made
