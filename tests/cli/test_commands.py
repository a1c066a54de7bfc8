"""The command line as scripts use it: JSON shapes and exit codes, in real subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.platform_repo import PlatformRepo, small_platform, write_service

GOLDENPATH = str(Path(sys.executable).parent / "goldenpath")


def run(*args: str, cwd: Path) -> tuple[int, object]:
    done = subprocess.run(
        [GOLDENPATH, *args, "--output", "json", "--state", f"sqlite:///{cwd / 'state.db'}"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"not JSON ({done.returncode}): {done.stdout}\n{done.stderr}") from exc


def test_validate_json_and_exit_code(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    code, out = run("validate", str(repo.root), "--no-lint", cwd=tmp_path)
    assert code == 0
    assert isinstance(out, dict) and out["ok"] is True and out["errors"] == []
    unit = next(u for u in out["units"] if u["id"] == "service/web/test")
    assert unit == {
        "id": "service/web/test",
        "kind": "service",
        "template": "svc",
        "version": "1.0",
        "stack_name": "goldenpath-service-web-test",
        "account": "111111111111",
        "region": "us-west-2",
    }


def test_validate_fails_with_file_line_and_field(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    write_service(repo, "web", template="nope")
    code, out = run("validate", str(repo.root), "--no-lint", cwd=tmp_path)
    assert code == 1
    assert isinstance(out, dict) and out["ok"] is False
    assert {"file": "services/web.yaml", "line": 5, "field": "spec.template.name"}.items() <= out[
        "errors"
    ][0].items()


def test_validate_of_a_path_that_is_not_a_folder(tmp_path: Path) -> None:
    code, out = run("validate", str(tmp_path / "missing"), cwd=tmp_path)
    assert code == 1 and isinstance(out, dict) and "is not a folder" in out["errors"][0]["message"]


def test_versions_json(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    path = repo.root / "templates/svc/v1/instance_infrastructure/cloudformation.yaml"
    path.write_text(path.read_text() + "# 1.1\n")
    commit = repo.commit("svc 1.1")
    code, out = run("versions", str(repo.root), "--template", "svc", cwd=tmp_path)
    assert code == 0 and isinstance(out, dict)
    rows = out["templates"]
    assert [(r["version"], r["recommended"]) for r in rows] == [("1.0", False), ("1.1", True)]
    assert rows[1] | {"rejected": None} == {
        "name": "svc",
        "type": "service",
        "major": 1,
        "minor": 1,
        "version": "1.1",
        "commit": commit,
        "recommended": True,
        "rejected": None,
    }


def test_render_json_shows_what_is_known_after_apply(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    code, out = run("render", str(repo.root), "service/web/test", cwd=tmp_path)
    assert code == 0 and isinstance(out, dict)
    assert out["unit"] == "service/web/test" and out["template_version"] == "svc:1.0"
    assert "known-after-apply:environment/test.VpcId" in out["body"]
    assert out["known_after_apply"] == ["environment/test", "service/orders/test"]


def test_render_of_an_unknown_unit_lists_the_units(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    done = subprocess.run(
        [
            GOLDENPATH,
            "render",
            str(repo.root),
            "service/web/qa",
            "--state",
            f"sqlite:///{tmp_path / 's.db'}",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "no unit 'service/web/qa'" in done.stdout and "service/web/test" in done.stdout


def test_plan_without_state_is_all_creates_and_exits_2(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    code, out = run("plan", str(repo.root), cwd=tmp_path)
    assert code == 2 and isinstance(out, dict)
    assert out["summary"] == {
        "create": 6,
        "adopt": 0,
        "update": 0,
        "delete": 0,
        "noop": 0,
        "blocked": 0,
        "denied": 0,
    }
    web = next(u for u in out["units"] if u["id"] == "service/web/test")
    assert web["action"] == "create" and web["from_version"] is None
    assert web["to_version"] == "1.0" and web["changes"] == []


def test_plan_denies_a_team_that_is_not_entitled(tmp_path: Path) -> None:
    repo: PlatformRepo = small_platform(tmp_path / "repo")
    write_service(repo, "ledger", team="payments")
    repo.commit("ledger")
    code, out = run("plan", str(repo.root), cwd=tmp_path)
    assert code == 1 and isinstance(out, dict)
    ledger = next(u for u in out["units"] if u["id"] == "service/ledger/test")
    assert ledger["action"] == "denied" and "payments" in ledger["reason"]


def test_apply_requires_yes(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    done = subprocess.run(
        [GOLDENPATH, "apply", str(repo.root), "--state", f"sqlite:///{tmp_path / 's.db'}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "--yes" in done.stdout


def test_emulator_on_a_busy_port_says_so(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [GOLDENPATH, "emulator", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    said = done.stdout + done.stderr
    assert str(port) in said and "in use" in said


def test_emulator_with_malformed_faults_says_so(tmp_path: Path) -> None:
    import os

    done = subprocess.run(
        [GOLDENPATH, "emulator", "--port", "0"],
        cwd=tmp_path,
        env={**os.environ, "GOLDENPATH_EMULATOR_FAULTS": '[{"kind": 1'},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "GOLDENPATH_EMULATOR_FAULTS" in done.stdout


def test_refresh_against_a_new_embedded_emulator_is_refused(tmp_path: Path) -> None:
    repo = small_platform(tmp_path / "repo")
    code, out = run("plan", str(repo.root), "--refresh", "--cloud", "embedded", cwd=tmp_path)
    assert code == 1 and isinstance(out, dict) and "--aws-endpoint-url" in out["error"]
