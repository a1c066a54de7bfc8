"""Scheduled drift detection and self-heal (``spec.drift`` of goldenpath.yaml).

``serve`` compares each deployed stack with what Goldenpath applied once per interval,
each unit at its own slot so that no account sees a burst, within a budget of API calls
per account; reports what drifted (the ``Drifted`` condition, findings in the state store,
the ``drift.found`` event) and, where ``spec.drift.heal`` says so, applies the stack again
from git. ``schedule`` and ``findings`` are pure; ``checker`` makes the calls; ``watch``
runs them and records the results.
"""

from reconciler.drift.checker import StackCheck, Watched
from reconciler.drift.findings import Finding, Observation, heal_decision, judge
from reconciler.drift.schedule import CallBudget, DriftSchedule, slot_of
from reconciler.drift.watch import DriftTuning, DriftWatch, watched_units

__all__ = [
    "CallBudget",
    "DriftSchedule",
    "DriftTuning",
    "DriftWatch",
    "Finding",
    "Observation",
    "StackCheck",
    "Watched",
    "heal_decision",
    "judge",
    "slot_of",
    "watched_units",
]
