"""The example platform repo, rendered the way Goldenpath renders it, once per test session.

Every unit of ``platform-repo-example`` (each environment, service instance and pipeline) is
rendered with Goldenpath's renderer: the inputs come from the specs, checked against the
bundle's schema with defaults applied. The outputs of a unit's dependencies (its
environment, the services it binds, and the instances of a pipeline) are synthesized from
their own rendered templates in real AWS formats, as a fresh ``validate`` would do. Each
body is linted with cfn-lint. Tests then assert on the results, one behaviour at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from reconciler.render import (
    EnvironmentInfo,
    InstanceInfo,
    Linter,
    LintReport,
    Renderer,
    ServiceInfo,
    environment_context,
    pipeline_context,
    service_instance_context,
    synthesize_outputs,
)
from reconciler.specs.loader import load_specs
from reconciler.specs.model import Account, Environment, Instance, Origin, Service, Specs
from reconciler.templates.bundle import read_bundle_dir
from reconciler.templates.inputs import resolve_inputs
from reconciler.templates.model import Bundle, TemplateFile
from tests.conftest import EXAMPLE_REPO


@dataclass(frozen=True)
class RenderedUnit:
    """One stack of the example: its rendered body, cfn-lint's verdict, its outputs."""

    unit_id: str
    body: str
    lint: LintReport
    outputs: Mapping[str, str]


def template_of(unit: RenderedUnit) -> dict[str, Any]:
    """The rendered body as CloudFormation data, short-form tags (``!Ref``) in long form."""
    from cfnlint.decode.decode import decode_str

    template, problems = decode_str(unit.body)
    assert not problems and isinstance(template, dict), problems
    return dict(template)


def resources_of_type(unit: RenderedUnit, resource_type: str) -> dict[str, dict[str, Any]]:
    resources = template_of(unit)["Resources"]
    return {name: r for name, r in resources.items() if r["Type"] == resource_type}


def repo_files(root: Path) -> dict[str, bytes]:
    """The platform repo's files, keyed by repo-relative path, as the source step gives them."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def example_specs() -> Specs:
    specs, problems = load_specs(repo_files(EXAMPLE_REPO))
    if problems:
        raise AssertionError("the example's specs do not load:\n" + "\n".join(map(str, problems)))
    return specs


def example_bundles() -> dict[str, Bundle]:
    return {
        folder.parent.name: read_bundle_dir(folder)
        for folder in sorted(EXAMPLE_REPO.glob("templates/*/v*"))
    }


def instance_unit_ids(templates: Collection[str] | None = None) -> list[str]:
    """Unit ids of the example's service instances, of the given templates or of all."""
    return [
        f"service/{service.name}/{instance.name}"
        for service in example_specs().services.values()
        if templates is None or service.template.name in templates
        for instance in service.instances
    ]


def pipeline_unit_ids() -> list[str]:
    return [f"pipeline/{s.name}" for s in example_specs().services.values() if s.pipeline]


def environment_unit_ids() -> list[str]:
    return [f"environment/{name}" for name in example_specs().environments]


class ExampleRender:
    """Renders, lints and synthesizes the outputs of every unit, dependencies first."""

    def __init__(self, specs: Specs, bundles: Mapping[str, Bundle], linter: Linter) -> None:
        self.specs = specs
        self.bundles = bundles
        self.linter = linter
        self.renderer = Renderer()
        self.units: dict[str, RenderedUnit] = {}

    def render_all(self) -> dict[str, RenderedUnit]:
        for environment in self.specs.environments.values():
            self.environment(environment)
        for service in self.specs.services.values():
            for instance in service.instances:
                self.instance(service, instance)
            if service.pipeline is not None:
                self.pipeline(service)
        return self.units

    def environment(self, env: Environment) -> RenderedUnit:
        unit_id = f"environment/{env.name}"
        if unit_id not in self.units:
            bundle = self.bundles[env.template.name]
            inputs = self._inputs(bundle, "environment", env.inputs, env.origin)
            context = environment_context(name=env.name, account_id=env.account.id, inputs=inputs)
            file = bundle.infrastructure["infrastructure"]
            self.units[unit_id] = self._finish(unit_id, file, context, env.account)
        return self.units[unit_id]

    def instance(self, service: Service, instance: Instance) -> RenderedUnit:
        unit_id = f"service/{service.name}/{instance.name}"
        if unit_id not in self.units:
            self.units[unit_id] = self._render_instance(service, instance)
        return self.units[unit_id]

    def instance_variant(
        self, unit_id: str, name: str, inputs: Mapping[str, Any], *, bound: bool = True
    ) -> RenderedUnit:
        """The instance ``unit_id`` rendered again as instance ``name`` with ``inputs``
        changed (``None`` drops an input) and, unless ``bound``, without its bindings.
        Variants are not kept among the example's units."""
        _, service_name, instance_name = unit_id.split("/")
        service = self.specs.services[service_name]
        [instance] = [i for i in service.instances if i.name == instance_name]
        changed = {k: v for k, v in {**instance.inputs, **inputs}.items() if v is not None}
        variant = replace(
            instance, name=name, inputs=changed, bindings=instance.bindings if bound else ()
        )
        return self._render_instance(service, variant)

    def pipeline_variant(self, service_name: str, instances: Collection[str]) -> RenderedUnit:
        """The pipeline of ``service_name`` rendered for only some of its instances."""
        service = self.specs.services[service_name]
        kept = tuple(i for i in service.instances if i.name in instances)
        return self._render_pipeline(replace(service, instances=kept))

    def _render_instance(self, service: Service, instance: Instance) -> RenderedUnit:
        env = self.specs.environments[instance.environment]
        bundle = self.bundles[service.template.name]
        inputs = self._inputs(bundle, "service", instance.inputs, instance.origin)
        bindings = {
            binding.alias: self._bound(binding.service, instance.environment).outputs
            for binding in instance.bindings
        }
        context = service_instance_context(
            service=self._service_info(service),
            instance_name=instance.name,
            inputs=inputs,
            environment=self._environment_info(env),
            bindings=bindings,
        )
        file = bundle.infrastructure["instance_infrastructure"]
        return self._finish(f"service/{service.name}/{instance.name}", file, context, env.account)

    def pipeline(self, service: Service) -> RenderedUnit:
        unit_id = f"pipeline/{service.name}"
        if unit_id not in self.units:
            self.units[unit_id] = self._render_pipeline(service)
        return self.units[unit_id]

    def _render_pipeline(self, service: Service) -> RenderedUnit:
        assert service.pipeline is not None
        bundle = self.bundles[service.template.name]
        instances = [
            InstanceInfo(
                name=instance.name,
                inputs=self._inputs(bundle, "service", instance.inputs, instance.origin),
                environment=self._environment_info(self.specs.environments[instance.environment]),
                outputs=self.instance(service, instance).outputs,
            )
            for instance in service.instances
        ]
        context = pipeline_context(
            service=self._service_info(service),
            inputs=self._inputs(
                bundle, "pipeline", service.pipeline.inputs, service.pipeline.origin
            ),
            instances=instances,
        )
        account = self.specs.platform.pipeline_account
        assert account is not None, "the example names a pipelines account"
        file = bundle.infrastructure["pipeline_infrastructure"]
        return self._finish(f"pipeline/{service.name}", file, context, account)

    def _bound(self, service_name: str, environment: str) -> RenderedUnit:
        service = self.specs.services[service_name]
        [instance] = [i for i in service.instances if i.environment == environment]
        return self.instance(service, instance)

    def _environment_info(self, env: Environment) -> EnvironmentInfo:
        return EnvironmentInfo(
            name=env.name, account_id=env.account.id, outputs=self.environment(env).outputs
        )

    def _service_info(self, service: Service) -> ServiceInfo:
        repository = service.repository
        platform = self.specs.platform
        return ServiceInfo(
            name=service.name,
            repository_id=repository.id if repository else None,
            # The service's own connection, else goldenpath.yaml's for its provider.
            repository_connection_arn=platform.connection_of(repository) if repository else None,
            branch_name=repository.branch if repository else None,
        )

    @staticmethod
    def _inputs(
        bundle: Bundle, namespace: str, given: Mapping[str, Any], origin: Origin
    ) -> dict[str, Any]:
        return resolve_inputs(bundle.input_schemas[namespace], given, origin=origin)

    def _finish(
        self, unit_id: str, file: TemplateFile, context: Mapping[str, Any], account: Account
    ) -> RenderedUnit:
        body = self.renderer.render(file, context)
        lint = self.linter.lint(
            body,
            file=file.path,
            ignore_checks=self.specs.platform.lint_ignore_checks,
            regions=(account.region,),
        )
        stack_name = "gp-" + unit_id.replace("/", "-")
        outputs = synthesize_outputs(
            body,
            account_id=account.id,
            region=account.region,
            stack_name=stack_name,
            file=file.path,
        )
        return RenderedUnit(unit_id, body, lint, outputs)


@pytest.fixture(scope="session")
def linter() -> Linter:
    return Linter()


@pytest.fixture(scope="session")
def bundles() -> dict[str, Bundle]:
    return example_bundles()


@pytest.fixture(scope="session")
def specs() -> Specs:
    return example_specs()


@pytest.fixture(scope="session")
def example(specs: Specs, bundles: dict[str, Bundle], linter: Linter) -> ExampleRender:
    example = ExampleRender(specs, bundles, linter)
    example.render_all()
    return example


@pytest.fixture(scope="session")
def rendered(example: ExampleRender) -> dict[str, RenderedUnit]:
    return example.units
