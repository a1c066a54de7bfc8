"""Outputs of an undeployed stack are synthesized in AWS formats, deterministically."""

from __future__ import annotations

import re

import pytest

from reconciler.errors import RenderError
from reconciler.render import synthesize_outputs

ACCOUNT = "123456789012"
REGION = "us-west-2"

ENVIRONMENT = """
Parameters:
  Stage: {Type: String, Default: beta}
Mappings:
  Sizes: {beta: {cpu: "256"}}
Resources:
  VPC: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.1.0.0/16}}
  PublicSubnet: {Type: AWS::EC2::Subnet}
  HostSG: {Type: AWS::EC2::SecurityGroup}
  Cluster: {Type: AWS::ECS::Cluster}
  NamedCluster: {Type: AWS::ECS::Cluster, Properties: {ClusterName: shared}}
  ExecRole: {Type: AWS::IAM::Role}
  Topic: {Type: AWS::SNS::Topic}
  Queue: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Bucket: {Type: AWS::S3::Bucket}
  Fn: {Type: AWS::Lambda::Function}
  LB: {Type: AWS::ElasticLoadBalancingV2::LoadBalancer}
  TG: {Type: AWS::ElasticLoadBalancingV2::TargetGroup}
  Namespace: {Type: AWS::ServiceDiscovery::PrivateDnsNamespace}
  Policy: {Type: AWS::IAM::ManagedPolicy}
  Widget: {Type: AWS::Example::Widget}
Outputs:
  Vpc: {Value: !Ref VPC}
  VpcCidr: {Value: !GetAtt VPC.CidrBlock}
  DefaultSG: {Value: !GetAtt [VPC, DefaultSecurityGroup]}
  Subnet: {Value: !Ref PublicSubnet}
  SG: {Value: !Ref HostSG}
  ClusterName: {Value: !Ref Cluster}
  ClusterArn: {Value: !GetAtt Cluster.Arn}
  Named: {Value: !Ref NamedCluster}
  RoleArn: {Value: !GetAtt ExecRole.Arn}
  TopicArn: {Value: !Ref Topic}
  QueueUrl: {Value: !Ref Queue}
  QueueArn: {Value: !GetAtt Queue.Arn}
  TableArn: {Value: !GetAtt Table.Arn}
  BucketArn: {Value: !GetAtt Bucket.Arn}
  FunctionArn: {Value: !GetAtt Fn.Arn}
  LBDns: {Value: !GetAtt LB.DNSName}
  TargetGroup: {Value: !Ref TG}
  NamespaceId: {Value: !GetAtt Namespace.Id}
  PolicyArn: {Value: !Ref Policy}
  WidgetArn: {Value: !GetAtt Widget.Arn}
  Region: {Value: !Ref AWS::Region}
  Url: {Value: !Sub "http://${LB.DNSName}/${Stage}/${!Literal}"}
  Joined: {Value: !Join [",", [!Ref PublicSubnet, !Ref HostSG]]}
  Zone: {Value: !Select [1, !GetAZs ""]}
  Cpu: {Value: !FindInMap [Sizes, !Ref Stage, cpu]}
  Chosen: {Value: !If [IsProd, !Ref AWS::NoValue, literal]}
  Literal: {Value: "plain text"}
"""

FORMATS = {
    "Vpc": r"vpc-[0-9a-f]{17}",
    "VpcCidr": r"10\.1\.0\.0/16",
    "DefaultSG": r"sg-[0-9a-f]{17}",
    "Subnet": r"subnet-[0-9a-f]{17}",
    "SG": r"sg-[0-9a-f]{17}",
    "ClusterName": r"env-test-Cluster-[A-Z2-7]{12}",
    "ClusterArn": rf"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/env-test-Cluster-[A-Z2-7]{{12}}",
    "Named": r"shared",
    "RoleArn": rf"arn:aws:iam::{ACCOUNT}:role/env-test-ExecRole-[A-Z2-7]{{12}}",
    "TopicArn": rf"arn:aws:sns:{REGION}:{ACCOUNT}:env-test-Topic-[A-Z2-7]{{12}}",
    "QueueUrl": rf"https://sqs\.{REGION}\.amazonaws\.com/{ACCOUNT}/env-test-Queue-[A-Z2-7]{{12}}",
    "QueueArn": rf"arn:aws:sqs:{REGION}:{ACCOUNT}:env-test-Queue-[A-Z2-7]{{12}}",
    "TableArn": rf"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/env-test-Table-[A-Z2-7]{{12}}",
    "BucketArn": r"arn:aws:s3:::env-test-bucket-[a-z2-7]{12}",
    "FunctionArn": rf"arn:aws:lambda:{REGION}:{ACCOUNT}:function:env-test-Fn-[A-Z2-7]{{12}}",
    "LBDns": rf"[A-Za-z0-9-]+-\d+\.{REGION}\.elb\.amazonaws\.com",
    "TargetGroup": (
        rf"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/.+/[0-9a-f]{{16}}"
    ),
    "NamespaceId": r"ns-[a-z2-7]{16}",
    "PolicyArn": rf"arn:aws:iam::{ACCOUNT}:policy/env-test-Policy-[A-Z2-7]{{12}}",
    "WidgetArn": rf"arn:aws:example:{REGION}:{ACCOUNT}:widget/env-test-Widget-[A-Z2-7]{{12}}",
    "Region": REGION,
    "Url": rf"http://[A-Za-z0-9-]+-\d+\.{REGION}\.elb\.amazonaws\.com/beta/\$\{{Literal\}}",
    "Joined": r"subnet-[0-9a-f]{17},sg-[0-9a-f]{17}",
    "Zone": rf"{REGION}b",
    "Cpu": r"256",
    "Chosen": r"literal",
    "Literal": r"plain text",
}


def _synthesize(body: str = ENVIRONMENT, stack_name: str = "env-test") -> dict[str, str]:
    return synthesize_outputs(body, account_id=ACCOUNT, region=REGION, stack_name=stack_name)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_output_has_the_aws_format_of_what_it_points_to(name: str) -> None:
    value = _synthesize()[name]
    assert re.fullmatch(FORMATS[name], value), f"{name}: {value!r}"


def test_synthesized_outputs_are_the_same_on_every_run() -> None:
    assert _synthesize() == _synthesize()


def test_different_stacks_get_different_ids() -> None:
    assert _synthesize(stack_name="env-a")["Vpc"] != _synthesize(stack_name="env-b")["Vpc"]


def test_a_template_without_outputs_has_none() -> None:
    assert _synthesize("Resources:\n  Q: {Type: AWS::SQS::Queue}\n") == {}


def test_a_body_that_is_not_a_template_is_a_render_error() -> None:
    with pytest.raises(RenderError, match="does not parse"):
        synthesize_outputs(
            "Outputs: [", account_id=ACCOUNT, region=REGION, stack_name="s", file="t.yaml"
        )
