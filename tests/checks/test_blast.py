"""The blast radius of a template change: the deployed units it moves or flags."""

from __future__ import annotations

from pathlib import Path

from reconciler.checks.blast import blast_radius
from reconciler.plan.model import Recorded
from reconciler.render import Renderer
from reconciler.source.git import GitSource
from tests.support.platform_repo import PlatformRepo, small_platform, write_service

SVC = "templates/svc/v1"


def recorded(repo: PlatformRepo, version: str = "1.0") -> dict[str, Recorded]:
    units = ["service/orders/test", "service/orders/production", "service/web/test"]
    return {
        u: Recorded(
            u,
            "service",
            u.replace("/", "-"),
            "111111111111",
            "us-west-2",
            "svc",
            version,
            "f",
            {"QueueUrl": f"https://sqs/{u}"},
        )
        for u in units
    }


def test_a_new_minor_lists_every_deployed_unit_with_its_render_diff(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    write_service(
        repo,
        "web",
        instances="""
        - name: test
          environment: test
          bindings: {orders: {service: orders}}
    """,
    )
    repo.commit("web")
    source = GitSource.open(repo.root)
    base = source.versions(repo.git("rev-parse", "HEAD"))
    path = repo.root / SVC / "instance_infrastructure/cloudformation.yaml"
    path.write_text(
        path.read_text().replace("DelaySeconds:", "VisibilityTimeout: 60\n      DelaySeconds:")
    )
    head = source.snapshot(repo.commit("svc 1.1"))
    touched = blast_radius(head, base, recorded(repo), Renderer())
    assert [(t.unit_id, t.from_version, t.to_version, t.effect) for t in touched] == [
        ("service/orders/production", "1.0", "1.1", "outdated"),
        ("service/orders/test", "1.0", "1.1", "outdated"),
        ("service/web/test", "1.0", "1.1", "outdated"),
    ]
    assert "+      VisibilityTimeout: 60" in touched[0].diff


def test_automatic_units_move(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    spec = repo.root / "services/orders.yaml"
    spec.write_text(
        spec.read_text().replace('version: "1"}', 'version: "1"}\n  updates: {minor: automatic}')
    )
    repo.commit("orders: automatic")
    source = GitSource.open(repo.root)
    base = source.versions(repo.git("rev-parse", "HEAD"))
    path = repo.root / SVC / "instance_infrastructure/cloudformation.yaml"
    path.write_text(path.read_text() + "# 1.1\n")
    head = source.snapshot(repo.commit("svc 1.1"))
    effects = {t.unit_id: t.effect for t in blast_radius(head, base, recorded(repo), Renderer())}
    assert effects["service/orders/test"] == "moves"
    assert effects["service/web/test"] == "outdated"


def test_secret_inputs_are_masked_in_the_diff(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    schema = repo.root / SVC / "schema/schema.yaml"
    schema.write_text(
        schema.read_text().replace(
            "label: {type: string, default: hello}",
            "label: {type: string, default: hello}\n        api_key: {type: string, "
            "format: password, default: s3cr3t-value-123}",
        )
    )
    repo.commit("an api key input (1.1)")
    source = GitSource.open(repo.root)
    base = source.versions(repo.git("rev-parse", "HEAD"))
    path = repo.root / SVC / "instance_infrastructure/cloudformation.yaml"
    path.write_text(
        path.read_text().replace(
            "Outputs:",
            "      - Key: key\n          Value: '{{ service_instance.inputs.api_key }}'\nOutputs:",
        )
    )
    head = source.snapshot(repo.commit("svc 1.2 uses the key"))
    touched = blast_radius(head, base, recorded(repo, "1.1"), Renderer())
    assert touched and all("s3cr3t-value-123" not in t.diff for t in touched)
    assert any("********" in t.diff for t in touched)


def test_no_new_version_no_blast_radius(tmp_path: Path) -> None:
    repo = small_platform(tmp_path)
    source = GitSource.open(repo.root)
    write_service(repo, "web", instances="- {name: test, environment: test}\n")
    head = source.snapshot(repo.commit("a spec change only"))
    assert blast_radius(head, head.versions, recorded(repo), Renderer()) == []
