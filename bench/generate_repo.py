"""Generate a large platform repo, a real git repository on disk, for the benchmarks.

Two layouts:

* ``platform`` (default): N service instances over E environments and T service
  templates, built from the bundles of ``platform-repo-example/``. Services come in pairs
  that share their environments: a data service (Postgres, DynamoDB, S3 variants) and a
  compute service (public and private web services, functions) that usually binds it, and
  most compute services have a pipeline. Instance counts cycle 1..4 per service, so
  5,000 instances make about 2,000 services. History: the templates are committed first,
  a few get a compatible minor bump (1.1), then the environments and services arrive.
* ``stacks``: N environments of one tiny environment template (one SSM parameter each),
  no services: N independent small stacks, the work of the Sceptre comparison.

    .venv/bin/python bench/generate_repo.py bench/out/repo-5000
    .venv/bin/python bench/generate_repo.py bench/out/repo-1000 --instances 1000
    .venv/bin/python bench/generate_repo.py bench/out/stacks-50 --layout stacks --stacks 50

The output is deterministic for the same parameters, so runs compare like with like.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = PROJECT_ROOT / "platform-repo-example"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@goldenpath.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@goldenpath.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
DATA_BASES = ("postgres-db", "dynamodb-table", "s3-bucket")
COMPUTE_BASES = ("public-web-svc", "private-web-svc", "function-svc")
ENV_BASES = ("pizza-env",)
# Instances per service, cycled: a mean of 2.5.
INSTANCE_CYCLE = (1, 2, 3, 4, 2, 3)
# Environments per AWS account: 50 environments make 10 accounts.
ENVIRONMENTS_PER_ACCOUNT = 5
REGIONS = ("us-west-2", "us-east-1", "eu-west-1")
PIPELINE_ACCOUNT = "999999999999"
# One compute service in BINDLESS_EVERY binds nothing; one in NO_PIPELINE_EVERY has no pipeline.
BINDLESS_EVERY = 3
NO_PIPELINE_EVERY = 4
# Templates that get a compatible minor bump (1.1) in a second commit.
BUMPED = 3


@dataclass(frozen=True)
class Size:
    """What to generate (platform layout)."""

    instances: int = 5000  # service instances
    environments: int = 50
    service_templates: int = 20
    environment_templates: int = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create (replaced if it exists)")
    parser.add_argument("--layout", choices=["platform", "stacks"], default="platform")
    parser.add_argument("--instances", type=int, default=Size.instances)
    parser.add_argument("--environments", type=int, default=Size.environments)
    parser.add_argument("--service-templates", type=int, default=Size.service_templates)
    parser.add_argument("--environment-templates", type=int, default=Size.environment_templates)
    parser.add_argument("--stacks", type=int, default=50, help="stacks layout: how many")
    args = parser.parse_args()
    if args.layout == "stacks":
        head = generate_stacks(args.out, args.stacks)
    else:
        size = Size(
            args.instances, args.environments, args.service_templates, args.environment_templates
        )
        head = generate_platform(args.out, size)
    print(f"{args.out}: {head}")


# The platform layout.


def generate_platform(root: Path, size: Size) -> str:
    """Write and commit the platform repo; returns the head commit."""
    if size.service_templates < len(DATA_BASES) + len(COMPUTE_BASES):
        sys.exit(f"--service-templates must be at least {len(DATA_BASES) + len(COMPUTE_BASES)}")
    repo = _fresh_repo(root)
    env_templates = [_variant(ENV_BASES[0], i) for i in range(size.environment_templates)]
    data, compute = _service_template_names(size.service_templates)
    for i, name in enumerate(env_templates):
        _copy_bundle(root, ENV_BASES[0], name, i, [])
    for i, name in enumerate(data + compute):
        base = _base_of(name)
        _copy_bundle(root, base, name, i, env_templates)
    _write(root / "goldenpath.yaml", _platform_yaml(data))
    _write(root / "teams.yaml", _teams_yaml(data))
    repo.commit("templates")
    for name in (data + compute)[:BUMPED]:
        schema = root / "templates" / name / "v1" / "schema" / "schema.yaml"
        schema.write_text(schema.read_text() + "# 1.1: descriptions reviewed\n")
    repo.commit("compatible minor bumps")
    environments = [_environment_name(i) for i in range(size.environments)]
    for i, env in enumerate(environments):
        _write(root / "environments" / f"{env}.yaml", _environment_yaml(env, i, env_templates))
    for spec_name, text in _services(size, environments, data, compute):
        _write(root / "services" / f"{spec_name}.yaml", text)
    return repo.commit("environments and services")


def _variant(base: str, index: int) -> str:
    return base if index == 0 else f"{base}-{index + 1}"


def _base_of(name: str) -> str:
    return next(b for b in (*DATA_BASES, *COMPUTE_BASES) if name == b or name.startswith(b + "-"))


def _service_template_names(count: int) -> tuple[list[str], list[str]]:
    """Variants of the example's six, alternating data and compute: 20 → 10 and 10."""
    data: list[str] = []
    compute: list[str] = []
    for i in range(count):
        bases = DATA_BASES if i % 2 == 0 else COMPUTE_BASES
        into = data if i % 2 == 0 else compute
        base = bases[len(into) % len(bases)]
        into.append(_variant(base, len(into) // len(bases)))
    return data, compute


def _copy_bundle(root: Path, base: str, name: str, index: int, envs: list[str]) -> None:
    source = EXAMPLE / "templates" / base / "v1"
    dest = root / "templates" / name / "v1"
    shutil.copytree(source, dest)
    # Each variant's template differs (its own tree id and bodies), as real templates do.
    for infra in dest.glob("*infrastructure/cloudformation.yaml"):
        infra.write_text(f"# {name}, variant {index}\n" + infra.read_text())
    if envs:
        (dest / ".compatible-envs").unlink(missing_ok=True)
        listed = "".join(f"  - {env}:1\n" for env in envs)
        (dest / ".template-registration.yaml").write_text(f"compatible_environments:\n{listed}")


def _environment_name(index: int) -> str:
    stage = ("test", "staging", "production", "sandbox", "perf")[index % 5]
    return f"{stage}-{index // 5:02d}"


def _environment_yaml(name: str, index: int, templates: list[str]) -> str:
    account = f"{100000000000 + index // ENVIRONMENTS_PER_ACCOUNT:012d}"
    region = REGIONS[(index // ENVIRONMENTS_PER_ACCOUNT) % len(REGIONS)]
    updates = "automatic" if name.startswith(("test", "sandbox")) else "manual"
    return f"""\
apiVersion: goldenpath.dev/v1
kind: Environment
metadata:
  name: {name}
spec:
  template:
    name: {templates[index % len(templates)]}
    version: "1"
  updates:
    minor: {updates}
  account:
    id: "{account}"
    region: {region}
    roleArn: "arn:aws:iam::{account}:role/goldenpath-deployer"
  inputs:
    vpc_cidr: 10.{index % 250}.0.0/16
    dns_namespace: {name}.bench.internal
    container_insights: {"true" if index % 3 == 0 else "false"}
"""


def _platform_yaml(data: list[str]) -> str:
    listed = ", ".join(data)
    return f"""\
apiVersion: goldenpath.dev/v1
kind: Platform
metadata:
  name: bench
spec:
  region: us-west-2
  rollout:
    order: [test, sandbox, staging, perf, production]
  pipelines:
    account:
      id: "{PIPELINE_ACCOUNT}"
      region: us-west-2
      roleArn: "arn:aws:iam::{PIPELINE_ACCOUNT}:role/goldenpath-deployer"
  prune: {{environment: false, service: true, pipeline: true}}
  data_templates: [{listed}]
"""


def _teams_yaml(data: list[str]) -> str:
    tables = ", ".join(d for d in data if d.startswith("dynamodb-table"))
    return f"""\
apiVersion: goldenpath.dev/v1
kind: Teams
metadata:
  name: bench
spec:
  teams:
    platform: {{admin: true, members: [anna, john]}}
    storefront: {{members: [gregg, maria], templates: ["*"], environments: ["*"]}}
    kitchen: {{members: [luigi], templates: ["*"], environments: ["*"]}}
    payments: {{members: [priya], templates: [{tables}], environments: ["*"]}}
"""


def _services(
    size: Size, environments: list[str], data: list[str], compute: list[str]
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    left = size.instances
    counts = itertools.cycle(INSTANCE_CYCLE)
    pair = 0
    while left > 0:
        count = min(next(counts), left, len(environments))
        envs = [environments[(pair * 7 + k) % len(environments)] for k in range(count)]
        store_template = data[pair % len(data)]
        store = f"store-{pair:04d}"
        out.append((store, _data_service(store, store_template, envs, pair)))
        left -= count
        if left <= 0:
            break
        count = min(count, left)
        app = f"app-{pair:04d}"
        binds = store if pair % BINDLESS_EVERY else None
        pipeline = pair % NO_PIPELINE_EVERY != 0
        template = compute[pair % len(compute)]
        out.append((app, _compute_service(app, template, envs[:count], pair, binds, pipeline)))
        left -= count
        pair += 1
    return out


def _data_service(name: str, template: str, envs: list[str], pair: int) -> str:
    team = "payments" if template.startswith("dynamodb-table") else "kitchen"
    base = _base_of(template)
    instances = "".join(
        f"""\
    - name: {env}
      environment: {env}
      inputs:
{_data_inputs(base, pair, k)}"""
        for k, env in enumerate(envs)
    )
    return f"""\
# Generated by bench/generate_repo.py: the store of app-{pair:04d}.
apiVersion: goldenpath.dev/v1
kind: Service
metadata:
  name: {name}
  team: {team}
spec:
  template:
    name: {template}
    version: "1"
  updates:
    minor: {"automatic" if pair % 2 else "manual"}
  instances:
{instances}"""


def _data_inputs(base: str, pair: int, k: int) -> str:
    if base == "postgres-db":
        return f"        database_name: db{pair}\n        allocated_storage: {20 + k * 10}\n"
    if base == "dynamodb-table":
        return f"        partition_key: pk{pair}\n        sort_key: sk\n        sort_key_type: N\n"
    return f"        versioning: {'true' if k % 2 else 'false'}\n"


def _compute_service(
    name: str, template: str, envs: list[str], pair: int, binds: str | None, pipeline: bool
) -> str:
    base = _base_of(template)
    binding = f"      bindings:\n        store: {{service: {binds}}}\n" if binds else ""
    instances = "".join(
        f"""\
    - name: {env}
      environment: {env}
      inputs:
{_compute_inputs(base, name, pair, k)}{binding}"""
        for k, env in enumerate(envs)
    )
    pipe = (
        f"""\
  pipeline:
    inputs:
      unit_test_command: "make test-{pair}"
"""
        if pipeline
        else ""
    )
    return f"""\
# Generated by bench/generate_repo.py.
apiVersion: goldenpath.dev/v1
kind: Service
metadata:
  name: {name}
  team: storefront
spec:
  template:
    name: {template}
    version: "1"
  updates:
    minor: {"automatic" if pair % 2 else "manual"}
  repository:
    provider: github
    id: bench/{name}
    branch: main
    connectionArn: "{_connection(pair)}"
{pipe}  instances:
{instances}"""


def _connection(pair: int) -> str:
    return (
        f"arn:aws:codestar-connections:us-west-2:{PIPELINE_ACCOUNT}:connection/"
        f"{pair:08d}-0000-4000-8000-000000000000"
    )


def _compute_inputs(base: str, name: str, pair: int, k: int) -> str:
    if base == "function-svc":
        return (
            "        language: python\n"
            f"        handler: {name.replace('-', '_')}.handler\n"
            f"        memory: {128 * (1 + k)}\n"
        )
    image = f"{PIPELINE_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/{name}:{pair:012x}"
    language = ("nodejs", "python", "go")[pair % 3]
    dockerfile = "        dockerfile: Dockerfile\n" if language == "go" else ""
    return (
        f"        language: {language}\n{dockerfile}"
        f"        image: {image}\n"
        f"        port: {8000 + k}\n"
        f"        desired_count: {1 + k}\n"
    )


# The stacks layout.

STACK_TEMPLATE = "small-stack"


def generate_stacks(root: Path, count: int) -> str:
    """N environments of one tiny template: N independent stacks. Returns the head."""
    repo = _fresh_repo(root)
    bundle = root / "templates" / STACK_TEMPLATE / "v1"
    _write(bundle / "schema" / "schema.yaml", SMALL_SCHEMA)
    _write(bundle / "infrastructure" / "manifest.yaml", SMALL_MANIFEST)
    _write(bundle / "infrastructure" / "cloudformation.yaml", SMALL_TEMPLATE)
    _write(
        root / "goldenpath.yaml",
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: stacks}\n"
        "spec:\n  region: us-east-1\n",
    )
    for i in range(count):
        _write(root / "environments" / f"{stack_environment(i)}.yaml", stack_spec(i, "1"))
    return repo.commit("small stacks")


def stack_environment(index: int) -> str:
    return f"stack-{index:04d}"


def stack_spec(index: int, value: str) -> str:
    """The environment spec of stack ``index``; ``value`` goes into its parameter."""
    return f"""\
apiVersion: goldenpath.dev/v1
kind: Environment
metadata: {{name: {stack_environment(index)}}}
spec:
  template: {{name: {STACK_TEMPLATE}, version: "1"}}
  account: {{id: "123456789012", region: us-east-1}}
  inputs: {{value: "{value}"}}
"""


SMALL_SCHEMA = """\
schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "SmallInput"
  types:
    SmallInput:
      type: object
      properties:
        value:
          type: string
          default: "1"
"""
SMALL_MANIFEST = """\
infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""
SMALL_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: One small stack of the deploy benchmark.
Resources:
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /bench/{{ environment.name }}
      Type: String
      Value: "{{ environment.inputs.value }}"
Outputs:
  SettingName:
    Value: !Ref Setting
"""


# Git.


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = {**os.environ, **GIT_ENV, "HOME": str(root)}

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


def _fresh_repo(root: Path) -> GitRepo:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    repo = GitRepo(root)
    repo.git("init", "-q", "-b", "main")
    return repo


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


if __name__ == "__main__":
    main()
