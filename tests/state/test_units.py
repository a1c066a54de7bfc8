"""Unit records: round trips, batch saves, forgetting, and the values' own rules."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from reconciler.errors import StateError
from reconciler.state import Condition, StateStore, UnitRecord
from tests.state.conftest import EPOCH, FakeClock


def unit(unit_id: str = "service/web/test", **changes: object) -> UnitRecord:
    kind = unit_id.split("/", 1)[0]
    record = UnitRecord(
        id=unit_id,
        kind=kind,  # type: ignore[arg-type]
        stack_name="goldenpath-" + unit_id.replace("/", "-"),
        account="222222222222",
        region="us-west-2",
        template="lb-fargate-svc",
        version="1.2",
        updated_at=EPOCH,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


def test_a_unit_with_every_field_set_reads_back_equal(store: StateStore) -> None:
    full = unit(
        fingerprint="sha256:abc",
        stack_id="arn:aws:cloudformation:us-west-2:222222222222:stack/x/1",
        outputs={"ServiceURL": "http://x.example", "Empty": ""},
        conditions=(
            Condition("Ready", True, "Succeeded", "applied 1.2", EPOCH),
            Condition("Stalled", False, "Succeeded", "", EPOCH + timedelta(seconds=1)),
        ),
        last_attempted_revision="c0ffee",
        last_applied_revision="c0ffee",
    )
    store.save_units([full])
    assert store.unit(full.id) == full
    assert store.units() == [full]


def test_a_unit_with_only_required_fields_reads_back_equal(store: StateStore) -> None:
    bare = unit("environment/test")
    store.save_units([bare])
    assert store.unit("environment/test") == bare


def test_unknown_unit_reads_as_none(store: StateStore) -> None:
    assert store.unit("service/nope/test") is None


def test_save_units_replaces_records_of_known_units(store: StateStore) -> None:
    store.save_units([unit("service/web/test"), unit("service/web/prod")])
    store.save_units([unit("service/web/test", version="1.3"), unit("pipeline/web")])
    assert {(u.id, u.version) for u in store.units()} == {
        ("pipeline/web", "1.2"),
        ("service/web/prod", "1.2"),
        ("service/web/test", "1.3"),
    }


def test_reading_every_unit_again_sees_each_change_and_reuses_the_rest(
    store: StateStore,
) -> None:
    store.save_units([unit("environment/test"), unit("service/web/test"), unit("pipeline/web")])
    first = {u.id: u for u in store.units()}
    store.save_units([unit("service/web/test", version="1.3")])
    store.forget_unit("pipeline/web")
    second = {u.id: u for u in store.units()}
    assert second.keys() == {"environment/test", "service/web/test"}
    assert second["service/web/test"].version == "1.3"
    assert second["environment/test"] is first["environment/test"]  # not decoded again
    store.save_units([unit("pipeline/web", version="2.0")])
    assert {u.id: u.version for u in store.units()}["pipeline/web"] == "2.0"


def test_units_are_listed_by_id(store: StateStore) -> None:
    store.save_units([unit("service/b/x"), unit("environment/a"), unit("pipeline/c")])
    assert [u.id for u in store.units()] == ["environment/a", "pipeline/c", "service/b/x"]


def test_a_batch_naming_one_unit_twice_is_refused_whole(store: StateStore) -> None:
    with pytest.raises(ValueError, match="service/web/test"):
        store.save_units([unit(), unit("service/web/prod"), unit(version="9.9")])
    assert store.units() == []


def test_forget_unit_drops_the_unit_but_keeps_its_history(store: StateStore) -> None:
    store.save_units([unit()])
    deployment = store.start_deployment("service/web/test", "c1", "1.2", deleting=True)
    store.finish_deployment(deployment.id, "DELETE_COMPLETE")
    assert store.forget_unit("service/web/test") is True
    assert store.unit("service/web/test") is None
    assert [d.status for d in store.history("service/web/test")] == ["DELETE_COMPLETE"]


def test_forgetting_an_unknown_unit_says_so(store: StateStore) -> None:
    assert store.forget_unit("service/ghost/test") is False


def test_a_transaction_that_fails_writes_nothing(store: StateStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.save_units([unit()])
        tx.record_revision("main", "abc")
        raise RuntimeError("the engine failed halfway")
    assert store.units() == []
    assert store.seen_revision("main") is None


def test_a_transaction_commits_all_its_writes_together(store: StateStore) -> None:
    with store.transaction() as tx:
        tx.save_units([unit()])
        tx.record_revision("main", "abc")
    assert store.unit("service/web/test") is not None
    assert store.seen_revision("main") == "abc"


def test_a_corrupt_stored_unit_is_a_state_error_naming_the_row(store: StateStore) -> None:
    store.save_units([unit()])
    with store.transaction() as tx:
        tx._connection.execute(sa.text("UPDATE units SET kind = 'lambda'"))
    with pytest.raises(StateError, match=r"'units', row 'service/web/test'.*kind"):
        store.units()


def test_unit_kind_must_match_its_id() -> None:
    with pytest.raises(ValueError, match="must start with its kind"):
        unit("service/web/test", kind="environment")


def test_unit_outputs_must_be_strings() -> None:
    with pytest.raises(ValueError, match="output 'Port' must be a string"):
        unit(outputs={"Port": 80})


def test_unit_times_must_carry_a_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        unit(updated_at=EPOCH.replace(tzinfo=None))


def test_unit_outputs_cannot_be_changed_in_place() -> None:
    record = unit(outputs={"A": "1"})
    with pytest.raises(TypeError):
        record.outputs["A"] = "2"  # type: ignore[index]


def test_with_condition_keeps_since_while_the_status_holds(clock: FakeClock) -> None:
    first = unit().with_condition(Condition("Ready", False, "Progressing", "creating", EPOCH))
    later = EPOCH + timedelta(minutes=5)
    same = first.with_condition(Condition("Ready", False, "Progressing", "still", later))
    flipped = same.with_condition(Condition("Ready", True, "Succeeded", "done", later))
    assert same.condition("Ready") == Condition("Ready", False, "Progressing", "still", EPOCH)
    assert flipped.condition("Ready") == Condition("Ready", True, "Succeeded", "done", later)


def test_with_condition_keeps_one_condition_per_type_in_a_fixed_order() -> None:
    record = (
        unit()
        .with_condition(Condition("Stalled", True, "RenderFailed", "x", EPOCH))
        .with_condition(Condition("Ready", False, "RenderFailed", "x", EPOCH))
        .with_condition(Condition("Stalled", False, "Succeeded", "", EPOCH))
    )
    assert [(c.type, c.status) for c in record.conditions] == [("Ready", False), ("Stalled", False)]


def test_with_attempt_and_with_applied_track_flux_revisions() -> None:
    later = EPOCH + timedelta(seconds=30)
    attempted = unit().with_attempt("c2", EPOCH)
    applied = attempted.with_applied("c2", "fp2", {"Url": "u"}, later)
    assert (attempted.last_attempted_revision, attempted.last_applied_revision) == ("c2", None)
    assert (applied.last_applied_revision, applied.fingerprint) == ("c2", "fp2")
    assert applied.outputs == {"Url": "u"}
    assert applied.updated_at == later


def test_a_unit_turns_into_plain_json(store: StateStore) -> None:
    record = unit(outputs={"Url": "u"}).with_condition(
        Condition("Ready", True, "Succeeded", "", EPOCH)
    )
    store.save_units([record])
    stored = store.unit(record.id)
    assert stored is not None
    shape = json.loads(json.dumps(stored.to_json()))
    assert shape["outputs"] == {"Url": "u"}
    assert shape["conditions"][0]["since"] == EPOCH.isoformat()
    assert {"id", "kind", "stack_name", "account", "region", "template", "version"} <= set(shape)
