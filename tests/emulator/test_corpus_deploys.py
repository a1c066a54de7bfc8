"""The whole Proton corpus deploys on the emulator: create, update, delete, over HTTP.

Every environment and service bundle of ../shared/proton-corpus is rendered unmodified
with its sample spec (``reconciler.render``), environments first. A service instance is
rendered with the outputs of its *deployed* environment stack, and its pipeline with the
outputs of the deployed instance stack. Each stack is then created, updated with one
changed input, and deleted, with boto3 against the emulator, and must end each step in
``*_COMPLETE`` with exactly the outputs its template declares. Resources of simulated
types must be reported as simulated. The tutorial's chapters 1 and 2 run with two
environments in two accounts, as the tutorial lays them out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from ruamel.yaml import YAML

from emulator.server import EmbeddedEmulator
from emulator.simulated.catalog import CATALOG
from emulator.simulated.reason import SIMULATED_REASON_PREFIX
from emulator.stacks.dependencies import resource_dependencies
from emulator.stacks.guards import parse_template
from reconciler.render import (
    EnvironmentInfo,
    InstanceInfo,
    Renderer,
    ServiceInfo,
    environment_context,
    pipeline_context,
    service_instance_context,
)
from reconciler.specs.model import Origin
from reconciler.templates.bundle import read_bundle_dir
from reconciler.templates.inputs import check_inputs
from reconciler.templates.model import Bundle, InfrastructureKind, TemplateFile
from tests.conftest import CORPUS
from tests.emulator.conftest import Client
from tests.emulator.probes import admin, outputs_of, stack_of
from tests.support.tutorial import chapter_two_edit

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

REGION = "us-west-2"
SAMPLES = "aws-samples-cloudformation"
TUTORIAL = "tutorial/vpc-ecscluster-lb-fargate-tutorial"
MICROSERVICES = f"{SAMPLES}/public-private-fargate-microservices"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
CONNECTION = f"arn:aws:codestar-connections:{REGION}:111111111111:connection/2f7a3c1e-8d4b"
_accounts = itertools.count(300_000_000_001)

# The only inputs of two environment templates are CIDRs, and every /18 of the VPC is used,
# so a change that AWS could apply moves the whole environment to a new address plan (a new
# VPC, and new subnets in it: a chain of replacements).
NEW_ADDRESS_PLAN = {
    "vpc_cidr": "10.1.0.0/16",
    "public_subnet_one_cidr": "10.1.0.0/18",
    "public_subnet_two_cidr": "10.1.64.0/18",
    "private_subnet_one_cidr": "10.1.128.0/18",
    "private_subnet_two_cidr": "10.1.192.0/18",
}
# Environment bundle -> (sample spec, the input the update changes and its new value).
ENVIRONMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    f"{SAMPLES}/environment-templates/ecs-ec2-env/v1": (
        f"{SAMPLES}/environment-templates/ecs-ec2-env/spec/spec.yaml",
        {"DesiredCapacity": 2},
    ),
    f"{SAMPLES}/environment-templates/fargate-env/v1": (
        f"{SAMPLES}/environment-templates/fargate-env/spec/spec.yaml",
        NEW_ADDRESS_PLAN,
    ),
    f"{SAMPLES}/environment-templates/vpc-env/v1": (
        f"{SAMPLES}/environment-templates/vpc-env/spec/spec.yaml",
        NEW_ADDRESS_PLAN,
    ),
    f"{SAMPLES}/lambda-multi-svc/lambda-env/v1": (
        f"{SAMPLES}/lambda-multi-svc/specs/env-spec.yaml",
        {"ttl_attribute": "expires_at"},
    ),
    f"{SAMPLES}/loadbalanced-fargate-svc/loadbalanced-fargate-env/v1": (
        f"{SAMPLES}/loadbalanced-fargate-svc/specs/env-spec.yaml",
        {"subnet_two_cidr": "10.0.2.0/24"},
    ),
    f"{MICROSERVICES}/microservices-env/v1": (
        f"{MICROSERVICES}/specs/env-spec.yaml",
        {"service_discovery_namespace": "example.internal"},
    ),
    f"{TUTORIAL}/vpc-ecscluster-env/v1": (
        f"{TUTORIAL}/specs/env-spec.yaml",
        {"subnet_two_cidr": "10.0.2.0/24"},
    ),
}
_STANDALONE = (
    "apigw-lambda-svc", "apprunner-svc", "backend-ecs-ec2-svc", "backend-fargate-svc",
    "load-balanced-ecs-ec2-svc", "load-balanced-fargate-svc", "scheduled-ecs-ec2-svc",
    "scheduled-fargate-svc", "scheduled-lambda-svc", "worker-ecs-ec2-svc", "worker-fargate-svc",
    "worker-lambda-svc",
)  # fmt: skip
# Service bundle -> its sample spec.
SERVICES: dict[str, str] = {
    **{
        f"{SAMPLES}/service-templates/{name}/v1": (
            f"{SAMPLES}/service-templates/{name}/spec/spec.yaml"
        )
        for name in _STANDALONE
    },
    **{
        f"{SAMPLES}/lambda-multi-svc/{name}/v1": f"{SAMPLES}/lambda-multi-svc/specs/svc-spec.yaml"
        for name in ("service-crud", "service-data-processing")
    },
    f"{SAMPLES}/loadbalanced-fargate-svc/loadbalanced-fargate-svc/v1": (
        f"{SAMPLES}/loadbalanced-fargate-svc/specs/svc-spec.yaml"
    ),
    f"{MICROSERVICES}/microservices-svc/loadbalanced-public-svc/v1": (
        f"{MICROSERVICES}/specs/svc-public-spec.yaml"
    ),
    f"{MICROSERVICES}/microservices-svc/private-fargate-svc/v1": (
        f"{MICROSERVICES}/specs/svc-private-spec.yaml"
    ),
    f"{TUTORIAL}/lb-fargate-svc/v1": f"{TUTORIAL}/specs/svc-spec.yaml",
}
# The instance input an update changes (the first of these the schema has), from its value.
# App Runner's template deploys its service only once an image is given, as the pipeline
# of the Proton sample does after its first build: giving one is that bundle's change.
INSTANCE_CHANGES: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("image", lambda image: image or "public.ecr.aws/nginx/nginx:1.21"),
    ("desired_count", lambda count: count + 1),
    ("lambda_memory", lambda memory: memory * 2),
    ("port", lambda port: port + 1000),
)
PIPELINE_TEST_COMMAND = "unit_test_command"


def _spec(path: str) -> dict[str, Any]:
    loaded = YAML(typ="safe").load((CORPUS / path).read_text())
    return loaded if isinstance(loaded, dict) else {}


def _inputs(bundle: Bundle, kind: str, given: Mapping[str, Any]) -> dict[str, Any]:
    values, problems = check_inputs(bundle.input_schemas[kind], given, origin=Origin(kind))
    assert not [p for p in problems if p.severity == "error"], problems
    return values


def _file(bundle: Bundle, kind: InfrastructureKind, bundle_path: str) -> TemplateFile:
    return TemplateFile(f"{bundle_path}/{kind}", bundle.infrastructure[kind].source)


def declared_outputs(body: str) -> set[str]:
    """Outputs a rendered template declares (none of the corpus outputs is conditional)."""
    return set(parse_template(body).get("Outputs") or {})


def simulated_logical_ids(body: str) -> set[str]:
    """Resources of simulated types, and of fallback types that point at one of them."""
    resources = parse_template(body)["Resources"]
    simulated = {
        name
        for name, resource in resources.items()
        if resource["Type"] in CATALOG and not CATALOG[resource["Type"]].fallback
    }
    return simulated | {
        name
        for name, resource in resources.items()
        if resource["Type"] in CATALOG
        and CATALOG[resource["Type"]].fallback
        and simulated & set(resource_dependencies(resource, resources))
    }


class Cloud:
    """Deploys rendered bodies with boto3 and checks each step as the test requires."""

    def __init__(self, emulator: EmbeddedEmulator, client: Client) -> None:
        self.emulator = emulator
        self.make_client = client
        self.renderer = Renderer()
        self.clients: dict[str, Any] = {}

    def client(self, service: str, account: str) -> Any:
        """One CloudFormation client per account (assuming a role costs a few calls)."""
        key = f"{service}@{account}"
        if key not in self.clients:
            self.clients[key] = self.make_client(service, account)
        return self.clients[key]

    def render(self, file: TemplateFile, context: Mapping[str, Any]) -> str:
        return self.renderer.render(file, context)

    def create(self, account: str, name: str, body: str) -> dict[str, str]:
        cfn = self.client("cloudformation", account)
        cfn.create_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES)
        return self._settled(account, name, body, "CREATE_COMPLETE")

    def update(self, account: str, name: str, body: str) -> dict[str, str]:
        cfn = self.client("cloudformation", account)
        cfn.update_stack(StackName=name, TemplateBody=body, Capabilities=CAPABILITIES)
        return self._settled(account, name, body, "UPDATE_COMPLETE")

    def delete(self, account: str, name: str) -> None:
        cfn = self.client("cloudformation", account)
        stack_id = stack_of(cfn, name)["StackId"]
        cfn.delete_stack(StackName=name)
        stack = stack_of(cfn, stack_id)
        assert stack["StackStatus"] == "DELETE_COMPLETE", stack.get("StackStatusReason")

    def _settled(self, account: str, name: str, body: str, expected: str) -> dict[str, str]:
        cfn = self.client("cloudformation", account)
        stack = stack_of(cfn, name)
        if stack["StackStatus"] != expected:
            failures = [
                f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason')}"
                for event in cfn.describe_stack_events(StackName=name)["StackEvents"]
                if event["ResourceStatus"].endswith("FAILED")
            ]
            pytest.fail(f"{name} is {stack['StackStatus']}, not {expected}: {failures}")
        outputs = outputs_of(stack)
        assert set(outputs) == declared_outputs(body), name
        self._check_simulated(cfn, account, name, body)
        return outputs

    def _check_simulated(self, cfn: Any, account: str, name: str, body: str) -> None:
        expected = simulated_logical_ids(body)
        resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
        marked = {
            resource["LogicalResourceId"]
            for resource in resources
            if (resource.get("ResourceStatusReason") or "").startswith(SIMULATED_REASON_PREFIX)
        }
        assert marked == expected, name
        listed = admin(
            self.emulator, "GET", "simulated", params={"stackName": name, "account": account}
        ).json()["resources"]
        assert {entry["logicalResourceId"] for entry in listed} == expected, name


@pytest.fixture
def deploy(cloud: EmbeddedEmulator, client: Client) -> Cloud:
    return Cloud(cloud, client)


def _environment_stack(
    deploy: Cloud, bundle_path: str, account: str, name: str, changes: Mapping[str, Any] = {}
) -> tuple[str, str, dict[str, Any]]:
    """(stack name, rendered body, inputs) of an environment, rendered with its sample spec."""
    bundle = read_bundle_dir(CORPUS / bundle_path)
    spec_path, _change = ENVIRONMENTS[bundle_path]
    given = {**(_spec(spec_path).get("spec") or {}), **changes}
    inputs = _inputs(bundle, "environment", given)
    context = environment_context(name=name, account_id=account, inputs=inputs)
    body = deploy.render(_file(bundle, "infrastructure", bundle_path), context)
    return f"{name}-env", body, inputs


@pytest.mark.parametrize("bundle_path", sorted(ENVIRONMENTS))
def test_environment_bundle_creates_updates_and_deletes(deploy: Cloud, bundle_path: str) -> None:
    account = str(next(_accounts))
    stack, body, _ = _environment_stack(deploy, bundle_path, account, "test")
    deploy.create(account, stack, body)
    _, change = ENVIRONMENTS[bundle_path]
    _, changed, _ = _environment_stack(deploy, bundle_path, account, "test", change)
    assert changed != body
    deploy.update(account, stack, changed)
    deploy.delete(account, stack)


def _compatible_environment(bundle: Bundle) -> str:
    [compatible] = bundle.compatible_environments
    [path] = [p for p in ENVIRONMENTS if read_bundle_dir(CORPUS / p).name == compatible.template]
    return path


def _instance_change(bundle: Bundle, inputs: Mapping[str, Any]) -> dict[str, Any]:
    known = bundle.input_schemas["service"].get("properties") or {}
    for name, change in INSTANCE_CHANGES:
        if name in known and change(inputs.get(name)) != inputs.get(name):
            return {name: change(inputs.get(name))}
    raise AssertionError(f"{bundle.name}: no input to change")


def _service(name: str) -> ServiceInfo:
    return ServiceInfo(
        name=name,
        repository_id="aws-samples/aws-proton-sample-services",
        repository_connection_arn=CONNECTION,
        branch_name="main",
    )


@pytest.mark.parametrize("bundle_path", sorted(SERVICES))
def test_service_bundle_deploys_on_its_deployed_environment(
    deploy: Cloud, bundle_path: str
) -> None:
    bundle = read_bundle_dir(CORPUS / bundle_path)
    env_account, pipeline_account = str(next(_accounts)), str(next(_accounts))
    env_stack, env_body, _ = _environment_stack(
        deploy, _compatible_environment(bundle), env_account, "test"
    )
    environment = EnvironmentInfo(
        "test", env_account, deploy.create(env_account, env_stack, env_body)
    )
    spec = _spec(SERVICES[bundle_path])
    [instance] = spec["instances"][:1]
    service = _service(bundle.name)

    def instance_body(changes: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        inputs = _inputs(bundle, "service", {**(instance.get("spec") or {}), **changes})
        context = service_instance_context(
            service=service, instance_name=instance["name"], inputs=inputs, environment=environment
        )
        return deploy.render(_file(bundle, "instance_infrastructure", bundle_path), context), inputs

    def pipeline_body(
        inputs: Mapping[str, Any], outputs: Mapping[str, Any], changes: Mapping[str, Any]
    ) -> str:
        pipeline_inputs = _inputs(bundle, "pipeline", {**(spec.get("pipeline") or {}), **changes})
        instances = [InstanceInfo(instance["name"], inputs, environment, outputs)]
        context = pipeline_context(service=service, inputs=pipeline_inputs, instances=instances)
        return deploy.render(_file(bundle, "pipeline_infrastructure", bundle_path), context)

    instance_stack = f"{bundle.name}-{instance['name']}"[:100]
    pipeline_stack = f"{bundle.name}-pipeline"
    body, inputs = instance_body({})
    outputs = deploy.create(env_account, instance_stack, body)
    deploy.create(pipeline_account, pipeline_stack, pipeline_body(inputs, outputs, {}))

    changed, inputs = instance_body(_instance_change(bundle, inputs))
    outputs = deploy.update(env_account, instance_stack, changed)
    command = _inputs(bundle, "pipeline", spec.get("pipeline") or {})[PIPELINE_TEST_COMMAND]
    pipeline_change = {PIPELINE_TEST_COMMAND: f"{command} && echo changed"}
    deploy.update(pipeline_account, pipeline_stack, pipeline_body(inputs, outputs, pipeline_change))

    deploy.delete(pipeline_account, pipeline_stack)
    deploy.delete(env_account, instance_stack)
    deploy.delete(env_account, env_stack)


# ---- the tutorial, chapters 1 and 2 ----------------------------------------------------------


def chapter_two(bundle: Bundle, kind: InfrastructureKind) -> TemplateFile:
    """The tutorial's chapter-2 version of a template file, edited as the README says."""
    source = chapter_two_edit(kind, bundle.infrastructure[kind].source)
    return TemplateFile(f"{bundle.root}/{kind}/chapter2", source)


class Tutorial:
    """The tutorial's platform: two environments in two accounts, a service, its pipeline."""

    INSTANCES = {
        "VPC-ECSCluster-Env-Test": "frontend-test",
        "VPC-ECSCluster-Env-Production": "frontend-prod",
    }

    def __init__(self, deploy: Cloud) -> None:
        self.deploy = deploy
        self.env_bundle = read_bundle_dir(CORPUS / f"{TUTORIAL}/vpc-ecscluster-env/v1")
        self.svc_bundle = read_bundle_dir(CORPUS / f"{TUTORIAL}/lb-fargate-svc/v1")
        self.accounts = {name: str(next(_accounts)) for name in self.INSTANCES}
        self.pipeline_account = str(next(_accounts))
        env_spec = _spec(f"{TUTORIAL}/specs/env-spec.yaml")["spec"]
        self.env_inputs = _inputs(self.env_bundle, "environment", env_spec)
        self.spec = _spec(f"{TUTORIAL}/specs/svc-spec.yaml")
        self.instance_inputs = _inputs(
            self.svc_bundle, "service", self.spec["instances"][0]["spec"]
        )
        self.service = _service("frontend")
        self.stacks: dict[str, tuple[str, str]] = {}  # stack name -> (account, last body)

    def _file(self, bundle: Bundle, kind: InfrastructureKind, chapter: int) -> TemplateFile:
        return _file(bundle, kind, bundle.root) if chapter == 1 else chapter_two(bundle, kind)

    def _apply(self, account: str, stack: str, body: str, chapter: int) -> dict[str, str]:
        if chapter == 2:
            assert body != self.stacks[stack][1], f"chapter 2 changes nothing in {stack}"
        self.stacks[stack] = (account, body)
        step = self.deploy.create if chapter == 1 else self.deploy.update
        return step(account, stack, body)

    def chapter(self, chapter: int) -> dict[str, str]:
        """Deploy (chapter 1) or update (chapter 2) everything; returns the rendered bodies."""
        bodies: dict[str, str] = {}
        instances = []
        for env_name, account in self.accounts.items():
            context = environment_context(name=env_name, account_id=account, inputs=self.env_inputs)
            body = self.deploy.render(
                self._file(self.env_bundle, "infrastructure", chapter), context
            )
            outputs = self._apply(account, f"{env_name}-env", body, chapter)
            environment = EnvironmentInfo(env_name, account, outputs)
            instance = self.INSTANCES[env_name]
            context = service_instance_context(
                service=self.service, instance_name=instance, inputs=self.instance_inputs,
                environment=environment,
            )  # fmt: skip
            file = self._file(self.svc_bundle, "instance_infrastructure", chapter)
            bodies[instance] = self.deploy.render(file, context)
            outputs = self._apply(account, f"frontend-{instance}", bodies[instance], chapter)
            instances.append(InstanceInfo(instance, self.instance_inputs, environment, outputs))
        pipeline_inputs = _inputs(self.svc_bundle, "pipeline", self.spec["pipeline"])
        context = pipeline_context(
            service=self.service, inputs=pipeline_inputs, instances=instances
        )
        file = self._file(self.svc_bundle, "pipeline_infrastructure", chapter)
        bodies["pipeline"] = self.deploy.render(file, context)
        self._apply(self.pipeline_account, "frontend-pipeline", bodies["pipeline"], chapter)
        return bodies

    def delete_all(self) -> None:
        """Pipeline and instances first, environments last (their exports, their VPCs)."""
        for stack, (account, _body) in sorted(
            self.stacks.items(), key=lambda item: item[0].endswith("-env")
        ):
            self.deploy.delete(account, stack)


def test_tutorial_chapters_one_and_two_with_environments_in_two_accounts(deploy: Cloud) -> None:
    tutorial = Tutorial(deploy)
    first = tutorial.chapter(1)
    assert "Preproduction_Approval" not in first["pipeline"]
    second = tutorial.chapter(2)
    # Chapter 2's Jinja: ECS exec only in the test environment, approval before production.
    assert "EnableExecuteCommand: true" in second["frontend-test"]
    assert "EnableExecuteCommand" not in second["frontend-prod"]
    assert second["pipeline"].count("Name: Preproduction_Approval") == 1
    tutorial.delete_all()
