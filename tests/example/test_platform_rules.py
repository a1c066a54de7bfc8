"""The platform team's rules, as the rendered example shows them: data is kept, buckets are
never public, credentials never travel in plain text, services are found by name, and
environments are laid out alike in separate accounts."""

from __future__ import annotations

import pytest

from reconciler.specs.model import Specs
from tests.example.conftest import (
    RenderedUnit,
    example_specs,
    instance_unit_ids,
    resources_of_type,
    template_of,
)

# The resource types that hold a data template's data.
DATA_RESOURCES = {"AWS::RDS::DBInstance", "AWS::DynamoDB::Table", "AWS::S3::Bucket"}
RETAINING = {"Retain", "Snapshot"}


def test_the_platform_declares_the_three_data_templates(specs: Specs) -> None:
    assert set(specs.platform.data_templates) == {"postgres-db", "dynamodb-table", "s3-bucket"}


@pytest.mark.parametrize("unit_id", instance_unit_ids(example_specs().platform.data_templates))
def test_data_resources_survive_deletion_and_replacement(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    resources = template_of(rendered[unit_id])["Resources"].values()
    data = [r for r in resources if r["Type"] in DATA_RESOURCES]

    assert data, f"{unit_id} holds no data resource"
    for resource in data:
        assert resource.get("DeletionPolicy") in RETAINING
        assert resource.get("UpdateReplacePolicy") in RETAINING


def test_the_database_takes_a_final_snapshot(rendered: dict[str, RenderedUnit]) -> None:
    [database] = resources_of_type(
        rendered["service/orders-db/production"], "AWS::RDS::DBInstance"
    ).values()

    assert (database["DeletionPolicy"], database["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")


@pytest.mark.parametrize("unit_id", ["service/orders-db/test", "service/orders-db/production"])
def test_database_credentials_come_from_secrets_manager_only(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    [database] = resources_of_type(rendered[unit_id], "AWS::RDS::DBInstance").values()
    properties = database["Properties"]

    for key in ("MasterUsername", "MasterUserPassword"):
        reference = properties[key]["Fn::Sub"]
        assert reference.startswith("{{resolve:secretsmanager:${DatabaseSecret}:SecretString:")
    assert properties["StorageEncrypted"] is True
    assert properties["PubliclyAccessible"] is False


@pytest.mark.parametrize("unit_id", ["service/menu-images/test", "service/menu-images/production"])
def test_buckets_block_every_public_path_and_encrypt(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    [bucket] = resources_of_type(rendered[unit_id], "AWS::S3::Bucket").values()
    properties = bucket["Properties"]
    [rule] = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]

    assert set(properties["PublicAccessBlockConfiguration"].values()) == {True}
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}


@pytest.mark.parametrize("unit_id", ["service/menu-images/test", "service/menu-images/production"])
def test_buckets_refuse_requests_without_tls(
    rendered: dict[str, RenderedUnit], unit_id: str
) -> None:
    [policy] = resources_of_type(rendered[unit_id], "AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]

    assert {
        "Effect": "Deny",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }.items() <= statements[0].items()


@pytest.mark.parametrize(
    ("unit_id", "name"),
    [("service/web/test", "web"), ("service/menu-api/production", "menu-api")],
)
def test_web_services_register_in_the_namespace_under_their_name(
    rendered: dict[str, RenderedUnit], unit_id: str, name: str
) -> None:
    environment = rendered["environment/" + unit_id.split("/")[2]].outputs
    [discovery] = resources_of_type(rendered[unit_id], "AWS::ServiceDiscovery::Service").values()

    assert discovery["Properties"]["Name"] == name
    assert discovery["Properties"]["NamespaceId"] == environment["NamespaceId"]
    assert rendered[unit_id].outputs["DnsName"] == f"{name}.{environment['NamespaceName']}"


def test_only_the_public_web_service_has_a_load_balancer(
    rendered: dict[str, RenderedUnit],
) -> None:
    with_load_balancer = sorted(
        unit_id
        for unit_id, unit in rendered.items()
        if resources_of_type(unit, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    )

    assert with_load_balancer == ["service/web/production", "service/web/test"]


def test_environments_use_distinct_blocks_of_the_same_layout(
    rendered: dict[str, RenderedUnit],
) -> None:
    blocks = {
        name: sorted(
            subnet["Properties"]["CidrBlock"]
            for subnet in resources_of_type(
                rendered[f"environment/{name}"], "AWS::EC2::Subnet"
            ).values()
        )
        for name in ("test", "staging", "production")
    }

    assert blocks["test"] == ["10.1.0.0/20", "10.1.128.0/20", "10.1.144.0/20", "10.1.16.0/20"]
    assert blocks["production"] == [b.replace("10.1.", "10.3.") for b in blocks["test"]]
    assert blocks["staging"] == [b.replace("10.1.", "10.2.") for b in blocks["test"]]


def test_environments_live_in_accounts_of_their_own(specs: Specs) -> None:
    accounts = [env.account.id for env in specs.environments.values()]
    assert specs.platform.pipeline_account is not None

    assert len({*accounts, specs.platform.pipeline_account.id}) == len(accounts) + 1
