"""Every infrastructure file of the Proton corpus renders unmodified and lints clean.

As RENDERING-NOTES.md measured it: each bundle's sample spec merged over its schema
defaults; the environment outputs synthesized from the compatible environment template;
each service's pipeline given its instance's synthesized outputs. The only lint errors
allowed are the upstream ones the notes list, named in ``UPSTREAM_ERRORS`` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

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
from reconciler.specs.model import Origin
from reconciler.templates.bundle import read_bundle_dir
from reconciler.templates.inputs import check_inputs
from reconciler.templates.model import Bundle, InfrastructureKind, TemplateFile
from tests.conftest import CORPUS

pytestmark = pytest.mark.corpus

ACCOUNT = "111111111111"
REGION = "us-west-2"
SAMPLES = "aws-samples-cloudformation"
TUTORIAL = "tutorial/vpc-ecscluster-lb-fargate-tutorial"

# Environment template bundle -> its sample spec.
ENVIRONMENT_SPECS = {
    f"{SAMPLES}/environment-templates/{name}/v1": (
        f"{SAMPLES}/environment-templates/{name}/spec/spec.yaml"
    )
    for name in ("ecs-ec2-env", "fargate-env", "vpc-env")
} | {
    f"{SAMPLES}/lambda-multi-svc/lambda-env/v1": f"{SAMPLES}/lambda-multi-svc/specs/env-spec.yaml",
    f"{SAMPLES}/loadbalanced-fargate-svc/loadbalanced-fargate-env/v1": (
        f"{SAMPLES}/loadbalanced-fargate-svc/specs/env-spec.yaml"
    ),
    f"{SAMPLES}/public-private-fargate-microservices/microservices-env/v1": (
        f"{SAMPLES}/public-private-fargate-microservices/specs/env-spec.yaml"
    ),
    f"{TUTORIAL}/vpc-ecscluster-env/v1": f"{TUTORIAL}/specs/env-spec.yaml",
}
_STANDALONE_SERVICES = (
    "apigw-lambda-svc",
    "apprunner-svc",
    "backend-ecs-ec2-svc",
    "backend-fargate-svc",
    "load-balanced-ecs-ec2-svc",
    "load-balanced-fargate-svc",
    "scheduled-ecs-ec2-svc",
    "scheduled-fargate-svc",
    "scheduled-lambda-svc",
    "worker-ecs-ec2-svc",
    "worker-fargate-svc",
    "worker-lambda-svc",
)
_MICROSERVICES = f"{SAMPLES}/public-private-fargate-microservices"
# Service template bundle -> its sample spec.
SERVICE_SPECS = (
    {
        f"{SAMPLES}/service-templates/{name}/v1": (
            f"{SAMPLES}/service-templates/{name}/spec/spec.yaml"
        )
        for name in _STANDALONE_SERVICES
    }
    | {
        f"{SAMPLES}/lambda-multi-svc/{name}/v1": f"{SAMPLES}/lambda-multi-svc/specs/svc-spec.yaml"
        for name in ("service-crud", "service-data-processing")
    }
    | {
        f"{SAMPLES}/loadbalanced-fargate-svc/loadbalanced-fargate-svc/v1": (
            f"{SAMPLES}/loadbalanced-fargate-svc/specs/svc-spec.yaml"
        ),
        f"{_MICROSERVICES}/microservices-svc/loadbalanced-public-svc/v1": (
            f"{_MICROSERVICES}/specs/svc-public-spec.yaml"
        ),
        f"{_MICROSERVICES}/microservices-svc/private-fargate-svc/v1": (
            f"{_MICROSERVICES}/specs/svc-private-spec.yaml"
        ),
        f"{TUTORIAL}/lb-fargate-svc/v1": f"{TUTORIAL}/specs/svc-spec.yaml",
    }
)
COMPONENT = f"{SAMPLES}/component-templates/s3-bucket-component/cloudformation.yaml"

ALL_FILES = sorted(
    [f"{bundle}/infrastructure/cloudformation.yaml" for bundle in ENVIRONMENT_SPECS]
    + [
        f"{bundle}/{kind}/cloudformation.yaml"
        for bundle in SERVICE_SPECS
        for kind in ("instance_infrastructure", "pipeline_infrastructure")
    ]
    + [COMPONENT]
)

_DEPRECATED_NODE = "schema default lambda_runtime: nodejs12.x, a deprecated runtime"
# Upstream errors, from RENDERING-NOTES.md: file -> (rule, why). They are not ours to fix.
UPSTREAM_ERRORS = {
    f"{SAMPLES}/environment-templates/ecs-ec2-env/v1/infrastructure/cloudformation.yaml": (
        "E2533",
        "hard-coded Lambda runtime python3.6, deprecated",
    ),
    **{
        f"{SAMPLES}/service-templates/{name}/v1/instance_infrastructure/cloudformation.yaml": (
            "E2533",
            _DEPRECATED_NODE,
        )
        for name in ("apigw-lambda-svc", "scheduled-lambda-svc", "worker-lambda-svc")
    },
    f"{SAMPLES}/service-templates/load-balanced-ecs-ec2-svc/v1/instance_infrastructure/"
    "cloudformation.yaml": (
        "E3049",
        "host port 0 without HealthCheckPort: traffic-port; AWS defaults it, cfn-lint is strict",
    ),
}


@dataclass(frozen=True)
class Rendered:
    """One corpus file, rendered and linted."""

    body: str
    report: LintReport


def _spec(path: str) -> dict[str, Any]:
    loaded = YAML(typ="safe").load((CORPUS / path).read_text())
    return loaded if isinstance(loaded, dict) else {}


def _inputs(bundle: Bundle, kind: str, given: Mapping[str, Any], spec: str) -> dict[str, Any]:
    values, problems = check_inputs(bundle.input_schemas[kind], given, origin=Origin(spec))
    errors = [p for p in problems if p.severity == "error"]
    assert not errors, f"sample spec {spec} is invalid: {errors}"
    return values


class CorpusRun:
    """Renders and lints the whole corpus once, environments first."""

    def __init__(self) -> None:
        self.renderer = Renderer()
        self.linter = Linter()
        self.files: dict[str, Rendered] = {}
        self.environments: dict[str, EnvironmentInfo] = {}

    def run(self) -> None:
        for bundle_path, spec in ENVIRONMENT_SPECS.items():
            self._environment(bundle_path, spec)
        for bundle_path, spec in SERVICE_SPECS.items():
            self._service(bundle_path, spec)
        component = TemplateFile(COMPONENT, (CORPUS / COMPONENT).read_text())
        self._keep(component, {})

    def _keep(self, file: TemplateFile, context: Mapping[str, Any]) -> str:
        body = self.renderer.render(file, context)
        report = self.linter.lint(body, file=file.path, regions=[REGION])
        self.files[file.path] = Rendered(body, report)
        return body

    def _environment(self, bundle_path: str, spec: str) -> None:
        bundle = read_bundle_dir(CORPUS / bundle_path)
        inputs = _inputs(bundle, "environment", _spec(spec).get("spec") or {}, spec)
        file = _corpus_file(bundle, "infrastructure", bundle_path)
        body = self._keep(file, environment_context(name="test", account_id=ACCOUNT, inputs=inputs))
        outputs = synthesize_outputs(
            body, account_id=ACCOUNT, region=REGION, stack_name=f"{bundle.name}-test"
        )
        self.environments[bundle.name] = EnvironmentInfo("test", ACCOUNT, outputs)

    def _service(self, bundle_path: str, spec_path: str) -> None:
        bundle = read_bundle_dir(CORPUS / bundle_path)
        [compatible] = bundle.compatible_environments
        environment = self.environments[compatible.template]
        spec = _spec(spec_path)
        [instance] = spec["instances"]
        service = ServiceInfo(
            name=bundle.name,
            repository_id="aws-samples/aws-proton-sample-services",
            repository_connection_arn=(
                f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/"
                "2f7a3c1e-8d4b-4b1a-9a52-6f0e9c3d7b21"
            ),
            branch_name="main",
        )
        inputs = _inputs(bundle, "service", instance.get("spec") or {}, spec_path)
        instance_file = _corpus_file(bundle, "instance_infrastructure", bundle_path)
        context = service_instance_context(
            service=service, instance_name=instance["name"], inputs=inputs, environment=environment
        )
        body = self._keep(instance_file, context)
        outputs = synthesize_outputs(
            body, account_id=ACCOUNT, region=REGION, stack_name=f"{bundle.name}-{instance['name']}"
        )
        pipeline_inputs = _inputs(bundle, "pipeline", spec.get("pipeline") or {}, spec_path)
        instances = [InstanceInfo(instance["name"], inputs, environment, outputs)]
        pipeline_file = _corpus_file(bundle, "pipeline_infrastructure", bundle_path)
        self._keep(
            pipeline_file,
            pipeline_context(service=service, inputs=pipeline_inputs, instances=instances),
        )


def _corpus_file(bundle: Bundle, kind: InfrastructureKind, bundle_path: str) -> TemplateFile:
    """The bundle's file, named by its path in the corpus rather than in a platform repo."""
    loaded = bundle.infrastructure[kind]
    return TemplateFile(f"{bundle_path}/{kind}/cloudformation.yaml", loaded.source)


@pytest.fixture(scope="module")
def corpus_run(corpus: Path) -> CorpusRun:
    run = CorpusRun()
    run.run()
    return run


def test_the_tables_name_every_template_file_of_the_corpus(corpus: Path) -> None:
    found = sorted(str(p.relative_to(corpus)) for p in corpus.rglob("cloudformation.yaml"))
    assert found == ALL_FILES


@pytest.mark.parametrize("path", ALL_FILES)
def test_corpus_file_renders_and_has_only_its_upstream_lint_errors(
    corpus_run: CorpusRun, path: str
) -> None:
    report = corpus_run.files[path].report
    found = sorted({problem.message.split(" ", 1)[0] for problem in report.errors})
    expected = [UPSTREAM_ERRORS[path][0]] if path in UPSTREAM_ERRORS else []
    assert found == expected, "\n".join(str(problem) for problem in report.errors)


def test_ecs_env_vars_from_a_real_component_keep_the_task_definition_valid(
    corpus_run: CorpusRun,
) -> None:
    # Quirk 6: the filter's lines must be re-indented to sit in the Environment list.
    component_body = corpus_run.files[COMPONENT].body
    component_outputs = synthesize_outputs(
        component_body, account_id=ACCOUNT, region=REGION, stack_name="web-prod-default"
    )
    bundle_path = f"{SAMPLES}/service-templates/load-balanced-fargate-svc/v1"
    bundle = read_bundle_dir(CORPUS / bundle_path)
    context = service_instance_context(
        service=ServiceInfo(name="web"),
        instance_name="prod",
        inputs=_inputs(bundle, "service", {}, "inline"),
        environment=corpus_run.environments["fargate-env"],
        components={"default": component_outputs},
    )
    file = _corpus_file(bundle, "instance_infrastructure", bundle_path)
    body = corpus_run.renderer.render(file, context)
    assert corpus_run.linter.lint(body, file=file.path, regions=[REGION]).errors == ()
    policy = component_outputs["BucketAccessPolicyArn"]
    assert f"- Name: BucketAccessPolicyArn\n              Value: {policy}\n" in body
    assert f"        - {policy}\n" in body


def test_a_misspelled_sample_input_is_a_warning_naming_the_known_one() -> None:
    # Quirk 9: lambda-multi-svc's sample spec writes packaging_commands.
    spec = f"{SAMPLES}/lambda-multi-svc/specs/svc-spec.yaml"
    bundle = read_bundle_dir(CORPUS / f"{SAMPLES}/lambda-multi-svc/service-crud/v1")
    _values, problems = check_inputs(
        bundle.input_schemas["pipeline"], _spec(spec)["pipeline"], origin=Origin(spec)
    )
    assert [(p.severity, "packaging_command" in p.message) for p in problems] == [("warning", True)]
