"""The Terraform corpus's bundles load unmodified, and every .tf file in them is checked.

One corpus file is not valid HCL: ``vpc-env``'s ``config.tf`` line 17 writes
``proton:environment = …`` inside an object, which Terraform itself refuses ("Missing
attribute separator"); the bundle loads, and validate reports that line, as Terraform does.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.templates.bundle import read_bundle_dir
from reconciler.templates.component import component_root, load_component
from reconciler.templates.model import Bundle
from reconciler.terraform.hcl import hcl_problems
from tests.support.terraform_repo import (
    PROVISIONING,
    SAMPLES,
    SVC_TEMPLATE,
    corpus_platform,
    tf_corpus,
)

BROKEN = "environment-templates/vpc-env/v1/infrastructure/config.tf"


def corpus_bundles() -> list[Path]:
    tf_corpus()
    return sorted(p for p in SAMPLES.glob("**/v1") if (p / "schema").is_dir())


def loaded(tmp_path: Path) -> list[Bundle]:
    out = []
    for folder in corpus_bundles():
        if folder.parent.name == SVC_TEMPLATE:
            # Its compatible environments are in the provisioning sample's copy of it.
            folder = _with_compatible_envs(folder, tmp_path)
        out.append(read_bundle_dir(folder))
    return out


def test_every_aws_samples_bundle_loads_as_terraform(tmp_path: Path) -> None:
    bundles = loaded(tmp_path)
    assert len(bundles) == 17
    assert sum(b.kind == "environment" for b in bundles) == 4
    for bundle in bundles:
        folder = bundle.root
        assert bundle.infrastructure, folder
        for kind, file in bundle.infrastructure.items():
            assert file.is_terraform, (folder, kind)
            assert any(name.endswith(".tf") for name, _ in file.files), (folder, kind)
            assert "manifest.yaml" not in dict(file.files)


def test_the_corpus_component_loads_as_a_terraform_component() -> None:
    tf_corpus()
    folder = SAMPLES / "component-templates/s3-bucket-component"
    root = component_root("web", "bucket")
    files = {f"{root}/{p.name}": p.read_bytes() for p in folder.iterdir() if p.is_file()}
    bundle = load_component(files, service="web", name="bucket")
    file = bundle.infrastructure["component"]
    assert file.is_terraform
    assert [name for name, _ in file.files] == ["component.tf"]
    assert hcl_problems(file.path, file.files) == []


def test_every_corpus_tf_file_parses_but_the_one_terraform_refuses_too(tmp_path: Path) -> None:
    found = []
    for bundle in loaded(tmp_path):
        for file in bundle.infrastructure.values():
            found += hcl_problems(file.path, file.files)
    assert [(p.file.split("/v1/")[1], p.line) for p in found] == [("infrastructure/config.tf", 17)]
    assert found[0].file == "vpc-env/v1/infrastructure/config.tf"
    assert "does not parse as HCL" in found[0].message
    assert "proton:environment" in found[0].message


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
def test_terraform_itself_refuses_the_same_line(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / BROKEN, tmp_path / "config.tf")
    done = subprocess.run(
        ["terraform", "fmt", "-check", "-no-color", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin:/usr/local/bin",
            "CHECKPOINT_DISABLE": "1",
            "HOME": str(tmp_path),
        },
        check=False,
    )
    assert done.returncode != 0
    assert "on config.tf line 17" in done.stderr


def _with_compatible_envs(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / SVC_TEMPLATE / "v1"
    shutil.copytree(folder, copy)
    shutil.copy(PROVISIONING / f"sample-templates/{SVC_TEMPLATE}/v1/.compatible-envs", copy)
    return copy


def test_goldenpath_validate_takes_the_whole_corpus_as_it_is(tmp_path: Path) -> None:
    """Every bundle deployed once, as its spec.yaml asks: the one error is vpc-env's line
    17, and, where terraform is on PATH, fmt finds every corpus file in its style."""
    import json
    import sys

    repo = corpus_platform(tmp_path / "repo")
    repo.commit("every Terraform bundle of the corpus")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "goldenpath"), "validate", str(repo.root),
         "--output", "json", "--state", f"sqlite:///{tmp_path / 'state.db'}"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    out = json.loads(done.stdout)
    assert done.returncode == 1
    assert [(e["file"], e["line"], e["field"]) for e in out["errors"]] == [
        ("templates/vpc-env/v1/infrastructure/config.tf", 17, "environment/vpc-env")
    ]
    if shutil.which("terraform") is not None:
        assert out["warnings"] == []
    else:
        assert ["no terraform binary on PATH" in w["message"] for w in out["warnings"]] == [True]
    assert len(out["units"]) == 27
