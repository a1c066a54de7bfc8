"""Which unit folders a change set rewrites (pure)."""

from __future__ import annotations

import json

from reconciler.provisioning.changes import UnitWrite, deployment_id_in, folder_change
from reconciler.terraform import METADATA_FILE as METADATA


def _metadata(deployment: str, deleted: bool = False) -> bytes:
    document = {"deploymentId": deployment, "isResourceDeleted": deleted, "resourceMetadata": {}}
    return json.dumps(document, indent=2).encode()


def test_a_unit_whose_files_differ_only_by_deployment_id_is_not_touched() -> None:
    current = {"main.tf": b"x", METADATA: _metadata("old")}
    write = UnitWrite("environment/dev", "dev", {"main.tf": b"x", METADATA: _metadata("new")})

    assert folder_change(write, current) is None


def test_a_changed_unit_writes_what_differs_and_removes_what_it_no_longer_renders() -> None:
    current = {"main.tf": b"x", "old.tf": b"o", METADATA: _metadata("old"), "api-one/a.tf": b"i"}
    rendered = {"main.tf": b"y", METADATA: _metadata("new")}

    change = folder_change(UnitWrite("environment/dev", "dev", rendered), current)

    assert change is not None
    assert dict(change.writes) == {"dev/main.tf": b"y", f"dev/{METADATA}": _metadata("new")}
    assert change.removals == ("dev/old.tf",)  # never api-one/, another unit's folder


def test_a_deletion_writes_only_the_marker_and_keeps_the_configuration() -> None:
    current = {"main.tf": b"x", METADATA: _metadata("old")}
    marker = {METADATA: _metadata("gone", deleted=True)}

    change = folder_change(UnitWrite("environment/dev", "dev", marker, deleting=True), current)

    assert change is not None
    assert dict(change.writes) == {f"dev/{METADATA}": _metadata("gone", deleted=True)}
    assert change.removals == ()
    assert deployment_id_in(marker) == "gone"
