"""docs/emulator.md carries the registry of fixes and the simulated catalog as they are."""

from __future__ import annotations

from emulator.fixes import fixes_table
from emulator.simulated.catalog import catalog_table
from tests.conftest import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "emulator.md"


def test_docs_table_of_fixes_matches_the_registry() -> None:
    assert fixes_table() in DOC.read_text(encoding="utf-8"), (
        "regenerate the fixes table in docs/emulator.md from emulator.fixes.fixes_table()"
    )


def test_docs_table_of_simulated_types_matches_the_catalog() -> None:
    assert catalog_table() in DOC.read_text(encoding="utf-8"), (
        "regenerate the simulated table in docs/emulator.md from "
        "emulator.simulated.catalog.catalog_table()"
    )
