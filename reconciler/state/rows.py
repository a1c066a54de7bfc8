"""What every stored record shares: checked choices, UTC times and JSON text.

Records are frozen values that turn themselves into table rows (``to_row``) and back
(``from_row``). A row that does not read back as a valid record is reported as a
``StateError`` naming the table, the row and the problem, never as a stray ``KeyError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Row

from reconciler.errors import StateError

Record = TypeVar("Record")


def require_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def require_utc(value: datetime | None, what: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime; got naive {value!r}")


def frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy: a frozen record must not change through a dict it holds."""
    return MappingProxyType(dict(value))


def dump_json(value: Any) -> str:
    """Compact and key-sorted, so equal values are stored as equal text."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), default=_refuse)


def _refuse(value: object) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON serializable: {value!r}")


def _plain(value: Any) -> Any:
    """Unwrap read-only mappings and tuples so ``json`` can write them."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@contextmanager
def reading_row(table: str, key: object) -> Iterator[None]:
    """Turn a bad stored row into a ``StateError`` that says which row it was."""
    try:
        yield
    except (ValueError, TypeError, KeyError) as exc:
        raise StateError(f"state table {table!r}, row {key!r} cannot be read: {exc}") from exc


def as_mapping(row: Row[Any]) -> Mapping[str, Any]:
    """A result row by column name, as ``from_row`` methods read it."""
    return cast(Mapping[str, Any], row._mapping)


def records(
    factory: Callable[[Mapping[str, Any]], Record], rows: Iterable[Row[Any]]
) -> list[Record]:
    return [factory(as_mapping(row)) for row in rows]
