"""What ``Ref`` and ``Fn::GetAtt`` give for each resource type, in the format AWS uses.

Covers every type the Proton corpus outputs, and the common neighbours of those types.
Types and attributes not listed get a value by the shape of their name
(``_aws_values.fallback_value``).
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.render._aws_values import EC2_ID_LENGTH, Resource, Shape


def _uuid(r: Resource) -> str:
    h = r.hex(32, "uuid")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _named(service: str, kind: str, prop: str, limit: int = 64) -> Shape:
    """A resource referenced by name, whose ARN is ``<kind>/<name>``."""
    return Shape(
        ref=lambda r: r.name(prop, limit=limit),
        attributes={"Arn": lambda r: r.arn(service, f"{kind}/{r.name(prop, limit=limit)}")},
    )


def _vpc_cidr(r: Resource) -> str:
    cidr = r.properties.get("CidrBlock")
    return cidr if isinstance(cidr, str) else "10.0.0.0/16"


def _load_balancer_kind(r: Resource) -> str:
    return "net" if r.properties.get("Type") == "network" else "app"


def _load_balancer_name(r: Resource) -> str:
    return r.name("Name", limit=32)


def _load_balancer_arn(r: Resource) -> str:
    kind = _load_balancer_kind(r)
    return r.arn(
        "elasticloadbalancing", f"loadbalancer/{kind}/{_load_balancer_name(r)}/{r.hex(16, 'lb')}"
    )


def _load_balancer_dns(r: Resource) -> str:
    if _load_balancer_kind(r) == "net":
        label = f"{_load_balancer_name(r)}-{r.hex(16, 'dns')}"
        return f"{label}.elb.{r.site.region}.{r.site.url_suffix}"
    # Application load balancers put the region first: name-1234567890.us-west-2.elb…
    label = f"{_load_balancer_name(r)}-{int(r.hex(8, 'dns'), 16)}"
    return f"{label}.{r.site.region}.elb.{r.site.url_suffix}"


def _target_group_arn(r: Resource) -> str:
    return r.arn("elasticloadbalancing", f"targetgroup/{r.name('Name', limit=32)}/{r.hex(16)}")


def _queue_url(r: Resource) -> str:
    return f"https://sqs.{r.site.region}.{r.site.url_suffix}/{r.site.account_id}/" + r.name(
        "QueueName", limit=80
    )


def _bucket(r: Resource) -> str:
    return r.name("BucketName", limit=63, lowercase=True)


def _api_id(r: Resource) -> str:
    return r.token(10).lower()


def _namespace_id(r: Resource) -> str:
    return f"ns-{r.token(16).lower()}"


def _namespace() -> Shape:
    return Shape(
        ref=_namespace_id,
        attributes={
            "Id": _namespace_id,
            "Arn": lambda r: r.arn("servicediscovery", f"namespace/{_namespace_id(r)}"),
            "HostedZoneId": lambda r: f"Z{r.token(20, 'zone')}",
        },
    )


def _apprunner_service_arn(r: Resource) -> str:
    return r.arn("apprunner", f"service/{r.name('ServiceName', limit=40)}/{r.hex(32)}")


def _role_arn(r: Resource) -> str:
    path = r.properties.get("Path") if isinstance(r.properties.get("Path"), str) else "/"
    return r.arn("iam", f"role{path}{r.name('RoleName', limit=64)}", regional=False)


def _policy_arn(r: Resource) -> str:
    name = r.name("ManagedPolicyName", limit=128)
    return r.arn("iam", f"policy/{name}", regional=False)


def _function_arn(r: Resource) -> str:
    return r.arn("lambda", f"function:{r.name('FunctionName', limit=64)}")


def _task_definition_arn(r: Resource) -> str:
    return r.arn("ecs", f"task-definition/{r.name('Family', limit=255)}:1")


def _db_endpoint(r: Resource) -> str:
    identifier = r.name("DBClusterIdentifier", limit=63, lowercase=True)
    label = f"{identifier}.cluster-{r.token(12, 'rds').lower()}"
    return f"{label}.{r.site.region}.rds.{r.site.url_suffix}"


SHAPES: Mapping[str, Shape] = {
    "AWS::EC2::VPC": Shape(
        ref=lambda r: r.ec2_id("vpc"),
        attributes={
            "VpcId": lambda r: r.ec2_id("vpc"),
            "CidrBlock": _vpc_cidr,
            "DefaultSecurityGroup": lambda r: r.ec2_id("sg"),
            "DefaultNetworkAcl": lambda r: r.ec2_id("acl"),
        },
    ),
    "AWS::EC2::Subnet": Shape(
        ref=lambda r: r.ec2_id("subnet"),
        attributes={
            "SubnetId": lambda r: r.ec2_id("subnet"),
            "AvailabilityZone": lambda r: f"{r.site.region}a",
            "VpcId": lambda r: r.ec2_id("vpc"),
        },
    ),
    "AWS::EC2::SecurityGroup": Shape(
        ref=lambda r: r.ec2_id("sg"),
        attributes={"GroupId": lambda r: r.ec2_id("sg"), "VpcId": lambda r: r.ec2_id("vpc")},
    ),
    "AWS::EC2::InternetGateway": Shape(ref=lambda r: r.ec2_id("igw")),
    "AWS::EC2::NatGateway": Shape(ref=lambda r: r.ec2_id("nat")),
    "AWS::EC2::RouteTable": Shape(ref=lambda r: r.ec2_id("rtb")),
    "AWS::EC2::NetworkAcl": Shape(ref=lambda r: r.ec2_id("acl")),
    "AWS::EC2::VPCEndpoint": Shape(ref=lambda r: r.ec2_id("vpce")),
    "AWS::EC2::LaunchTemplate": Shape(
        ref=lambda r: r.ec2_id("lt"),
        attributes={"LatestVersionNumber": lambda r: "1", "DefaultVersionNumber": lambda r: "1"},
    ),
    "AWS::EC2::Instance": Shape(
        ref=lambda r: r.ec2_id("i"),
        attributes={
            "PrivateIp": lambda r: f"10.0.{r.digest()[0]}.{r.digest()[1] % 254 + 1}",
            "AvailabilityZone": lambda r: f"{r.site.region}a",
        },
    ),
    "AWS::EC2::EIP": Shape(
        ref=lambda r: f"203.0.113.{r.digest()[0] % 254 + 1}",
        attributes={"AllocationId": lambda r: r.ec2_id("eipalloc")},
    ),
    "AWS::ECS::Cluster": Shape(
        ref=lambda r: r.name("ClusterName", limit=255),
        attributes={"Arn": lambda r: r.arn("ecs", f"cluster/{r.name('ClusterName', limit=255)}")},
    ),
    "AWS::ECS::Service": Shape(
        ref=lambda r: r.arn("ecs", f"service/{r.name('ServiceName', limit=255)}"),
        attributes={
            "Name": lambda r: r.name("ServiceName", limit=255),
            "ServiceArn": lambda r: r.arn("ecs", f"service/{r.name('ServiceName')}"),
        },
    ),
    "AWS::ECS::TaskDefinition": Shape(
        ref=_task_definition_arn, attributes={"TaskDefinitionArn": _task_definition_arn}
    ),
    "AWS::ECS::CapacityProvider": Shape(ref=lambda r: r.name("Name", limit=255)),
    "AWS::IAM::Role": Shape(
        ref=lambda r: r.name("RoleName", limit=64),
        attributes={"Arn": _role_arn, "RoleId": lambda r: f"AROA{r.token(17, 'id')}"},
    ),
    "AWS::IAM::ManagedPolicy": Shape(
        ref=_policy_arn,
        attributes={"PolicyArn": _policy_arn, "PolicyId": lambda r: f"ANPA{r.token(17, 'id')}"},
    ),
    "AWS::IAM::InstanceProfile": Shape(
        ref=lambda r: r.name("InstanceProfileName", limit=128),
        attributes={
            "Arn": lambda r: r.arn(
                "iam", f"instance-profile/{r.name('InstanceProfileName')}", regional=False
            )
        },
    ),
    "AWS::IAM::User": Shape(
        ref=lambda r: r.name("UserName", limit=64),
        attributes={
            "Arn": lambda r: r.arn("iam", f"user/{r.name('UserName', limit=64)}", regional=False)
        },
    ),
    "AWS::SNS::Topic": Shape(
        ref=lambda r: r.arn("sns", r.name("TopicName", limit=256)),
        attributes={
            "TopicArn": lambda r: r.arn("sns", r.name("TopicName", limit=256)),
            "TopicName": lambda r: r.name("TopicName", limit=256),
        },
    ),
    "AWS::SQS::Queue": Shape(
        ref=_queue_url,
        attributes={
            "Arn": lambda r: r.arn("sqs", r.name("QueueName", limit=80)),
            "QueueName": lambda r: r.name("QueueName", limit=80),
            "QueueUrl": _queue_url,
        },
    ),
    "AWS::Lambda::Function": Shape(
        ref=lambda r: r.name("FunctionName", limit=64), attributes={"Arn": _function_arn}
    ),
    "AWS::Serverless::Function": Shape(
        ref=lambda r: r.name("FunctionName", limit=64), attributes={"Arn": _function_arn}
    ),
    "AWS::DynamoDB::Table": Shape(
        ref=lambda r: r.name("TableName", limit=255),
        attributes={
            "Arn": lambda r: r.arn("dynamodb", f"table/{r.name('TableName', limit=255)}"),
            "StreamArn": lambda r: r.arn(
                "dynamodb",
                f"table/{r.name('TableName', limit=255)}/stream/2024-01-01T00:00:00.000",
            ),
        },
    ),
    "AWS::S3::Bucket": Shape(
        ref=_bucket,
        attributes={
            "Arn": lambda r: r.arn("s3", _bucket(r), regional=False, in_account=False),
            "DomainName": lambda r: f"{_bucket(r)}.s3.{r.site.url_suffix}",
            "RegionalDomainName": lambda r: r.host("s3", _bucket(r)),
            "WebsiteURL": lambda r: (
                f"http://{_bucket(r)}.s3-website-{r.site.region}.{r.site.url_suffix}"
            ),
        },
    ),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": Shape(
        ref=_load_balancer_arn,
        attributes={
            "DNSName": _load_balancer_dns,
            "LoadBalancerArn": _load_balancer_arn,
            "LoadBalancerName": _load_balancer_name,
            "LoadBalancerFullName": lambda r: (
                f"{_load_balancer_kind(r)}/{_load_balancer_name(r)}/{r.hex(16, 'lb')}"
            ),
            "CanonicalHostedZoneID": lambda r: f"Z{r.token(13, 'zone')}",
        },
    ),
    "AWS::ElasticLoadBalancingV2::TargetGroup": Shape(
        ref=_target_group_arn,
        attributes={
            "TargetGroupArn": _target_group_arn,
            "TargetGroupName": lambda r: r.name("Name", limit=32),
            "TargetGroupFullName": lambda r: f"targetgroup/{r.name('Name', limit=32)}/{r.hex(16)}",
        },
    ),
    "AWS::ElasticLoadBalancingV2::Listener": Shape(
        ref=lambda r: r.arn(
            "elasticloadbalancing",
            f"listener/app/{r.site.stack_name[:20]}/{r.hex(16)}/{r.hex(16, 'l')}",
        )
    ),
    "AWS::ServiceDiscovery::PrivateDnsNamespace": _namespace(),
    "AWS::ServiceDiscovery::PublicDnsNamespace": _namespace(),
    "AWS::ServiceDiscovery::HttpNamespace": _namespace(),
    "AWS::ServiceDiscovery::Service": Shape(
        ref=lambda r: f"srv-{r.token(16).lower()}",
        attributes={
            "Id": lambda r: f"srv-{r.token(16).lower()}",
            "Arn": lambda r: r.arn("servicediscovery", f"service/srv-{r.token(16).lower()}"),
            "Name": lambda r: r.name("Name", limit=127),
        },
    ),
    "AWS::Logs::LogGroup": Shape(
        ref=lambda r: r.name("LogGroupName", limit=512),
        attributes={
            "Arn": lambda r: r.arn("logs", f"log-group:{r.name('LogGroupName', limit=512)}:*")
        },
    ),
    "AWS::ECR::Repository": Shape(
        ref=lambda r: r.name("RepositoryName", limit=256, lowercase=True),
        attributes={
            "Arn": lambda r: r.arn("ecr", f"repository/{r.name('RepositoryName', lowercase=True)}"),
            "RepositoryUri": lambda r: (
                f"{r.site.account_id}.dkr.ecr.{r.site.region}."
                f"{r.site.url_suffix}/{r.name('RepositoryName', lowercase=True)}"
            ),
        },
    ),
    "AWS::CodeBuild::Project": _named("codebuild", "project", "Name", 255),
    "AWS::CodePipeline::Pipeline": Shape(ref=lambda r: r.name("Name", limit=100)),
    "AWS::ApiGatewayV2::Api": Shape(
        ref=_api_id,
        attributes={
            "ApiId": _api_id,
            "ApiEndpoint": lambda r: f"https://{r.host('execute-api', _api_id(r))}",
        },
    ),
    "AWS::Serverless::HttpApi": Shape(ref=_api_id),
    "AWS::Serverless::Api": Shape(ref=_api_id),
    "AWS::ApiGateway::RestApi": Shape(
        ref=_api_id, attributes={"RootResourceId": lambda r: r.token(10, "root").lower()}
    ),
    "AWS::KMS::Key": Shape(
        ref=_uuid, attributes={"Arn": lambda r: r.arn("kms", f"key/{_uuid(r)}"), "KeyId": _uuid}
    ),
    "AWS::SecretsManager::Secret": Shape(
        ref=lambda r: r.arn("secretsmanager", f"secret:{r.name('Name')}-{r.token(6, 's')}")
    ),
    "AWS::SSM::Parameter": Shape(ref=lambda r: r.name("Name", limit=2048)),
    "AWS::Events::Rule": _named("events", "rule", "Name"),
    "AWS::StepFunctions::StateMachine": Shape(
        ref=lambda r: r.arn("states", f"stateMachine:{r.name('StateMachineName', limit=80)}"),
        attributes={"Name": lambda r: r.name("StateMachineName", limit=80)},
    ),
    "AWS::Kinesis::Stream": _named("kinesis", "stream", "Name", 128),
    "AWS::CloudWatch::Alarm": Shape(
        ref=lambda r: r.name("AlarmName", limit=255),
        attributes={"Arn": lambda r: r.arn("cloudwatch", f"alarm:{r.name('AlarmName')}")},
    ),
    "AWS::RDS::DBCluster": Shape(
        ref=lambda r: r.name("DBClusterIdentifier", limit=63, lowercase=True),
        attributes={"Endpoint.Address": _db_endpoint, "Endpoint.Port": lambda r: "3306"},
    ),
    "AWS::EFS::FileSystem": Shape(
        ref=lambda r: f"fs-{r.hex(EC2_ID_LENGTH)}",
        attributes={"FileSystemId": lambda r: f"fs-{r.hex(EC2_ID_LENGTH)}"},
    ),
    "AWS::Route53::HostedZone": Shape(ref=lambda r: f"Z{r.token(20)}"),
    "AWS::CertificateManager::Certificate": Shape(
        ref=lambda r: r.arn("acm", f"certificate/{_uuid(r)}")
    ),
    "AWS::CloudFront::Distribution": Shape(
        ref=lambda r: f"E{r.token(13)}",
        attributes={"DomainName": lambda r: f"d{r.token(13, 'cf').lower()}.cloudfront.net"},
    ),
    "AWS::AppRunner::Service": Shape(
        ref=_apprunner_service_arn,
        attributes={
            "ServiceArn": _apprunner_service_arn,
            "ServiceId": lambda r: r.hex(32),
            "ServiceUrl": lambda r: (
                f"{r.token(10, 'url').lower()}.{r.site.region}.awsapprunner.com"
            ),
        },
    ),
    "AWS::AppRunner::VpcConnector": Shape(
        ref=lambda r: r.arn(
            "apprunner", f"vpcconnector/{r.name('VpcConnectorName', limit=40)}/1/{r.hex(32)}"
        ),
        attributes={
            "VpcConnectorArn": lambda r: r.arn(
                "apprunner", f"vpcconnector/{r.name('VpcConnectorName', limit=40)}/1/{r.hex(32)}"
            )
        },
    ),
}
