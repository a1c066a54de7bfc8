"""``spec.drift`` of goldenpath.yaml: its values, and clear errors for bad ones."""

from __future__ import annotations

import pytest

from reconciler.specs.loader import load_specs
from reconciler.specs.model import DriftSettings


def _load(drift: str) -> tuple[DriftSettings, list[str]]:
    text = (
        "apiVersion: goldenpath.dev/v1\nkind: Platform\nmetadata: {name: p}\nspec:\n"
        f"  region: us-west-2\n  drift:\n{drift}"
    )
    specs, problems = load_specs({"goldenpath.yaml": text.encode()})
    return specs.platform.drift, [str(p) for p in problems]


def test_without_spec_drift_each_stack_is_checked_every_10_minutes_and_none_healed() -> None:
    specs, problems = load_specs({})

    assert problems == []
    assert specs.platform.drift == DriftSettings(interval=600.0, heal=(), calls_per_minute=60)


def test_the_design_example_loads() -> None:
    drift, problems = _load("    interval: 10m\n    heal: [service]\n    callsPerMinute: 60\n")

    assert problems == []
    assert drift == DriftSettings(interval=600.0, heal=("service",), calls_per_minute=60)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90.0), ("1h30m", 5400.0), ("2h", 7200.0), ("off", None)]
)
def test_intervals_read_as_durations(text: str, seconds: float | None) -> None:
    drift, problems = _load(f"    interval: {text}\n")

    assert problems == []
    assert drift.interval == seconds


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        (
            "    interval: 10x\n",
            "goldenpath.yaml:7 spec.drift.interval: '10x' is not valid; expected a duration "
            "such as 10m, 90s or 1h30m",
        ),
        (
            "    interval: 10\n",
            "goldenpath.yaml:7 spec.drift.interval: expected a string, got integer 10",
        ),
        ("    interval: 30s\n", "goldenpath.yaml:7 spec.drift.interval: '30s' is too short"),
        (
            "    callsPerMinute: -5\n",
            "goldenpath.yaml:7 spec.drift.callsPerMinute: -5 is less than the minimum of 1",
        ),
        (
            "    heal: [services]\n",
            "goldenpath.yaml:7 spec.drift.heal[0]: 'services' is not valid; expected a unit "
            "kind (environment, service, pipeline, component), or a unit id or glob",
        ),
        (
            "    heal: [service/web]\n",
            "goldenpath.yaml:7 spec.drift.heal[0]: 'service/web' can match no unit; expected "
            "a kind (environment, service, pipeline, component) or an id or glob of the form "
            "service/<service>/<instance>",
        ),
        (
            "    intervall: 10m\n",
            "goldenpath.yaml:7 spec.drift.intervall: unknown field 'intervall'; expected one "
            "of: callsPerMinute, heal, interval",
        ),
    ],
)
def test_bad_drift_settings_say_the_file_line_field_and_what_was_expected(
    drift: str, expected: str
) -> None:
    settings, problems = _load(drift)

    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]
    assert settings == DriftSettings()  # the bad file is left out: its defaults apply
