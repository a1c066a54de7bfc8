"""The one changed step of the sample workflow, as the README shows it, run for real:
bash, ``terraform output -json`` of a real (provider-free) Terraform state, jq and curl,
against the notification endpoint."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.terraform_repo import ENV
from tests.terraform.world import ProvisioningWorld

ROOT = Path(__file__).resolve().parents[2]
METADATA = ".proton/deployment-metadata.json"


def _documented_step() -> dict[str, object]:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(    - name: Notify Goldenpath\n.*?)```", readme, re.S)
    assert block is not None, "README.md lost the notification step"
    [step] = yaml.safe_load(block.group(1))
    return dict(step)


def _expand(text: str, values: dict[str, str]) -> str:
    """GitHub Actions' ``${{ … }}`` expressions, as the runner would fill them."""
    return re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", lambda m: values[m.group(1)], text)


@pytest.mark.skipif(
    not shutil.which("terraform") or not shutil.which("jq"), reason="no terraform/jq"
)
def test_the_documented_step_notifies_with_terraform_outputs(
    corpus_world: ProvisioningWorld, tmp_path: Path
) -> None:
    world = corpus_world
    world.apply()
    [pull] = world.open_pulls()
    world.merge(pull.number)
    deployment = json.loads(world.show("main", f"{ENV}/{METADATA}"))["deploymentId"]
    # A state with outputs and no provider: init downloads nothing.
    folder = tmp_path / "unit"
    folder.mkdir()
    (folder / "outputs.tf").write_text(
        'output "vpc_id" {\n  value = "vpc-0abc"\n}\n'
        'output "subnet_ids" {\n  value = ["subnet-1", "subnet-2"]\n}\n'
    )
    quiet = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for command in (["terraform", "init", "-input=false"], ["terraform", "apply", "-auto-approve"]):
        subprocess.run(command, cwd=folder, env=quiet, check=True, capture_output=True, timeout=120)
    step = _documented_step()
    values = {
        "vars.GOLDENPATH_URL": world.url,
        "secrets.GOLDENPATH_TOKEN": world.admin,
        "needs.get-deployment-data.outputs.deployment_id": deployment,
        "needs.terraform.outputs.success": "True",
        "steps.tf_init.outcome": "success",
    }
    env = {k: _expand(str(v), values) for k, v in dict(step["env"]).items()}  # type: ignore[call-overload]

    done = subprocess.run(
        ["bash", "-e", "-c", _expand(str(step["run"]), values)],
        cwd=folder,
        env={**quiet, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    record = world.store.unit(f"environment/{ENV}")
    assert record is not None
    assert dict(record.outputs) == {"vpc_id": "vpc-0abc", "subnet_ids": '["subnet-1","subnet-2"]'}
    assert world.store.history(f"environment/{ENV}")[0].status == "SUCCEEDED"
