"""The Proton tutorial (Pizza&Ananas) as a platform repo in git: chapter 1, then chapter 2.

Chapter 1's bundles are copied unmodified from ../shared/proton-corpus. Chapter 2's
changes are made as the tutorial tells the admin to make them, each as a new commit:
VPC flow logs in the environment template; a manual approval before production in the
pipeline; ECS exec (a task role and EnableExecuteCommand) only in the test environment.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CORPUS, require_shared
from tests.support.platform_repo import PlatformRepo

TUTORIAL = CORPUS / "tutorial" / "vpc-ecscluster-lb-fargate-tutorial"
ENV_TEMPLATE = "templates/vpc-ecscluster-env/v1/infrastructure/cloudformation.yaml"
INSTANCE_TEMPLATE = "templates/lb-fargate-svc/v1/instance_infrastructure/cloudformation.yaml"
PIPELINE_TEMPLATE = "templates/lb-fargate-svc/v1/pipeline_infrastructure/cloudformation.yaml"
TEST_ENV = "VPC-ECSCluster-Env-Test"
PRODUCTION_ENV = "VPC-ECSCluster-Env-Production"
TEST_ACCOUNT = "111111111111"
PRODUCTION_ACCOUNT = "333333333333"
PIPELINE_ACCOUNT = "444444444444"
CONNECTION = (
    f"arn:aws:codestar-connections:us-west-2:{PIPELINE_ACCOUNT}:connection/"
    "7d2a7a3c-4a1e-4d63-9f38-2b6c1a0e5f11"
)


def chapter1(
    root: Path, *, updates: str = "manual", env_updates: str = "automatic"
) -> PlatformRepo:
    """The platform repo at the end of chapter 1: two environments, my-webapp, a pipeline."""
    require_shared(TUTORIAL)
    repo = PlatformRepo(root)
    repo.copy_tree(TUTORIAL / "vpc-ecscluster-env" / "v1", "templates/vpc-ecscluster-env/v1")
    repo.copy_tree(TUTORIAL / "lb-fargate-svc" / "v1", "templates/lb-fargate-svc/v1")
    repo.write(
        "goldenpath.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Platform
        metadata: {{name: pizza-ananas}}
        spec:
          region: us-west-2
          rollout: {{order: [{TEST_ENV}, {PRODUCTION_ENV}]}}
          pipelines:
            account: {{id: "{PIPELINE_ACCOUNT}", region: us-west-2,
                       roleArn: "arn:aws:iam::{PIPELINE_ACCOUNT}:role/goldenpath-deployer"}}
          prune: {{environment: false, service: true, pipeline: true}}
          # Chapter 2 sets TaskRoleArn: !Ref ECSTaskRole, which CloudFormation accepts and
          # cfn-lint flags as E1041.
          lint: {{ignore_checks: [E1041]}}
        """,
    )
    repo.write(
        "teams.yaml",
        """
        apiVersion: goldenpath.dev/v1
        kind: Teams
        metadata: {name: pizza-ananas}
        spec:
          teams:
            platform: {admin: true, members: [anna, john]}
            developers: {members: [gregg], templates: [lb-fargate-svc], environments: ["*"]}
        """,
    )
    for name, account in ((TEST_ENV, TEST_ACCOUNT), (PRODUCTION_ENV, PRODUCTION_ACCOUNT)):
        repo.write(
            f"environments/{name}.yaml",
            f"""
            apiVersion: goldenpath.dev/v1
            kind: Environment
            metadata: {{name: {name}}}
            spec:
              template: {{name: vpc-ecscluster-env, version: "1"}}
              updates: {{minor: {env_updates}}}
              account: {{id: "{account}", region: us-west-2,
                         roleArn: "arn:aws:iam::{account}:role/goldenpath-deployer"}}
              inputs: {{vpc_cidr: 10.0.0.0/16}}
            """,
        )
    write_webapp(repo, version="1", updates=updates)
    repo.commit("Chapter 1: environment and service templates, two environments, my-webapp")
    return repo


def write_webapp(
    repo: PlatformRepo,
    *,
    version: str,
    updates: str = "manual",
    production_version: str | None = None,
) -> None:
    pin = "\n" + " " * 14 + f'version: "{production_version}"' if production_version else ""
    repo.write(
        "services/my-webapp.yaml",
        f"""
        apiVersion: goldenpath.dev/v1
        kind: Service
        metadata: {{name: my-webapp, team: developers}}
        spec:
          template: {{name: lb-fargate-svc, version: "{version}"}}
          updates: {{minor: {updates}}}
          repository: {{provider: github, id: pizza-ananas/nginx-custom-site, branch: main,
                        connectionArn: "{CONNECTION}"}}
          pipeline: {{inputs: {{unit_test_command: "ls"}}}}
          instances:
            - name: frontend-test
              environment: {TEST_ENV}
              inputs: {{desired_count: 1, port: 80, task_size: x-small,
                        indexhtmlcontent: "I am running in test"}}
            - name: frontend-production
              environment: {PRODUCTION_ENV}{pin}
              inputs: {{desired_count: 2, port: 80, task_size: medium,
                        indexhtmlcontent: "I am running in production"}}
        """,
    )


FLOW_LOGS = """  VPCFlowLog:
    Type: AWS::EC2::FlowLog
    Properties:
      DeliverLogsPermissionArn: !GetAtt FlowLogRole.Arn
      LogGroupName: !Ref FlowLogsGroup
      ResourceId: !Ref VPC
      ResourceType: VPC
      TrafficType: ALL
  FlowLogRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
        - Effect: Allow
          Principal:
            Service: [vpc-flow-logs.amazonaws.com]
          Action: ['sts:AssumeRole']
      Path: /
      ManagedPolicyArns:
        - 'arn:aws:iam::aws:policy/CloudWatchLogsFullAccess'
  FlowLogsGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
"""

APPROVAL = """
{% if 'Production' in service_instance.environment.name %}
        - Actions:
            - ActionTypeId:
                Category: Approval
                Owner: AWS
                Provider: Manual
                Version: '1'
              InputArtifacts: []
              Name: Approval
              RunOrder: 1
          Name: Preproduction_Approval
{% endif %}"""

TASK_ROLE = """  ECSTaskRole:
      Type: AWS::IAM::Role
      Properties:
          AssumeRolePolicyDocument:
              Statement:
              - Effect: Allow
                Principal:
                   Service: [ecs-tasks.amazonaws.com]
                Action: ['sts:AssumeRole']
          Path: /
          Policies:
              - PolicyName: SSMMessagesPolicy
                PolicyDocument:
                  Statement:
                      - Effect: Allow
                        Action:
                          - 'ssmmessages:CreateControlChannel'
                          - 'ssmmessages:CreateDataChannel'
                          - 'ssmmessages:OpenControlChannel'
                          - 'ssmmessages:OpenDataChannel'
                        Resource: '*'
"""

EXEC = """      {% if 'VPC-ECSCluster-Env-Test' in environment.name %}
      EnableExecuteCommand: true
      {% endif %}
"""


def chapter2(repo: PlatformRepo) -> tuple[str, str]:
    """Chapter 2's admin commits; returns (environment 1.1 commit, service 1.1 commit)."""
    env = repo.root / ENV_TEMPLATE
    env.write_text(chapter_two_edit("infrastructure", env.read_text()))
    env_commit = repo.commit("Chapter 2: VPC flow logs in the environment template")
    for kind, path in (
        ("pipeline_infrastructure", PIPELINE_TEMPLATE),
        ("instance_infrastructure", INSTANCE_TEMPLATE),
    ):
        target = repo.root / path
        target.write_text(chapter_two_edit(kind, target.read_text()))
    svc_commit = repo.commit("Chapter 2: production approval in the pipeline, ECS exec in test")
    return env_commit, svc_commit


def chapter_two_edit(kind: str, source: str) -> str:
    """A chapter-1 template file as chapter 2 tells the admin to change it."""
    if kind == "infrastructure":
        return _insert_before(source, "Outputs:", FLOW_LOGS)
    if kind == "pipeline_infrastructure":
        loop = "{%- for service_instance in service_instances %}"
        assert source.count(loop) == 1, "the tutorial pipeline's instance loop is gone"
        return source.replace(loop, loop + APPROVAL, 1)
    text = source.replace('TaskRoleArn: !Ref "AWS::NoValue"', "TaskRoleArn: !Ref 'ECSTaskRole'")
    text = _insert_before(text, "  Service:", TASK_ROLE)
    service = "      ServiceName: '{{service.name}}_{{service_instance.name}}'"
    assert text.count(service) == 1, "the tutorial service's name line is gone"
    return text.replace(service, EXEC + service)


def _insert_before(text: str, line: str, block: str) -> str:
    lines = text.splitlines(keepends=True)
    at = next(i for i, current in enumerate(lines) if current.rstrip() == line.rstrip())
    return "".join(lines[:at]) + block + "".join(lines[at:])
