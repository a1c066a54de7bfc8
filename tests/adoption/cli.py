"""Running ``goldenpath import`` and ``validate`` in process, as a script would, and reading
the emulator's call counter."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from goldenpath.cli import main

READ_ACTIONS = ("Describe", "Get", "List", "AssumeRole")


def accounts_file(path: Path, accounts: tuple[str, ...]) -> Path:
    lines = ["accounts:"]
    for account in accounts:
        role = f"arn:aws:iam::{account}:role/goldenpath-deployer"
        lines.append(f'  - {{id: "{account}", region: us-west-2, roleArn: "{role}"}}')
    path.write_text("\n".join(lines) + "\n")
    return path


def run_import(
    capsys: pytest.CaptureFixture[str],
    url: str,
    *,
    accounts: Path,
    templates: Path,
    out: Path,
    specs: dict[str, Path] | None = None,
) -> tuple[int, dict[str, Any]]:
    options = [f"{unit}={path}" for unit, path in (specs or {}).items()]
    argv = ["import", "--accounts", str(accounts), "--templates", str(templates)]
    for option in options:
        argv += ["--spec", option]
    argv += ["--out", str(out), "--aws-endpoint-url", url, "--output", "json"]
    capsys.readouterr()
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def validate(capsys: pytest.CaptureFixture[str], repo: Path, state: Path) -> dict[str, Any]:
    capsys.readouterr()
    main(["validate", str(repo), "--output", "json", "--state", f"sqlite:///{state}"])
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def units(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["id"]: u for u in document["units"]}


def calls(url: str) -> dict[str, int]:
    found: dict[str, int] = httpx.get(f"{url}/_goldenpath/calls").json()["calls"]
    return found
