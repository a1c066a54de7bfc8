"""What Goldenpath writes for a Terraform unit is what Proton wrote, file for file.

The contract is ``github-actions-provisioning/my_first_tf_env_2``: the environment
``my_first_tf_env_2`` and its instance ``Fourth-attempt-tf/fourth-tf-instance``, rendered
with the inputs and outputs the corpus shows. Proton's ARNs become Goldenpath's URNs and
the deployment ids are Proton's; everything else must be byte for byte the same: key
order, ``" : "``, indentation, no final newline in the JSON, the header of every ``.tf``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reconciler.desired.build import build_desired
from reconciler.desired.units import DesiredState
from reconciler.source.worktree import WorkingTree
from reconciler.terraform import (
    METADATA_FILE,
    TerraformResource,
    deletion_marker,
    proton_folder,
    render_terraform,
    resource_of,
    resource_of_metadata,
)
from tests.support.terraform_repo import (
    ACCOUNT,
    ENV,
    ENV_OUTPUTS,
    INSTANCE,
    PROVISIONING,
    REGION,
    SAMPLES,
    SERVICE,
    SVC_TEMPLATE,
    WRITTEN,
    tf_platform,
)

ENV_DEPLOYMENT = "fcda9f18-f569-4079-8474-0832f45b97ea"
INSTANCE_DEPLOYMENT = "cd9a940c-7d24-40bd-8d75-186387284867"
ENV_ID = f"environment/{ENV}"
INSTANCE_ID = f"service/{SERVICE}/{INSTANCE}"
PROTON = f"arn:aws:proton:{REGION}:{ACCOUNT}:"
URN = f"urn:goldenpath:unit:{REGION}:{ACCOUNT}:"
HEADER_LINES = 8  # the comment block Proton put on every .tf file, and a blank line


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> DesiredState:
    repo = tf_platform(tmp_path_factory.mktemp("tf") / "repo")
    build = build_desired(WorkingTree(repo.root).snapshot())
    assert build.errors == []
    return build.state


def written(folder: Path) -> dict[str, bytes]:
    """A unit's folder as Proton wrote it (an instance's folder is not its environment's)."""
    instance = f"{SERVICE}-{INSTANCE}"
    return {
        rel: p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not (rel := p.relative_to(folder).as_posix()).startswith(f"{instance}/")
    }


def as_goldenpath(data: bytes) -> bytes:
    """A corpus file with Proton's names in Goldenpath's: ARNs → URNs, the product name."""
    text = data.decode()
    text = text.replace(
        f"{PROTON}environment-template/", "urn:goldenpath:template:::environment-template/"
    )
    text = text.replace(f"{PROTON}service-template/", "urn:goldenpath:template:::service-template/")
    text = text.replace(PROTON, URN)
    return text.encode()


def header_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:HEADER_LINES]


def test_the_environment_is_written_as_proton_wrote_it(state: DesiredState) -> None:
    ours = render_terraform(state.units[ENV_ID], state, lambda _u: None).with_deployment(
        ENV_DEPLOYMENT
    )
    theirs = written(WRITTEN)
    assert sorted(ours) == sorted(theirs)
    for name in ("proton.auto.tfvars.json", ".proton/deployment-metadata.json"):
        assert ours[name] == as_goldenpath(theirs[name]), name
    _same_variables_file(ours, theirs, "proton.environment.variables.tf", ENV_ID)
    for name in ("config.tf", "vpc.tf", "outputs.tf"):
        _same_tf_file(ours[name], theirs[name], ENV_ID)


def test_the_instance_is_written_as_proton_wrote_it(state: DesiredState) -> None:
    outputs = {ENV_ID: ENV_OUTPUTS}
    ours = render_terraform(state.units[INSTANCE_ID], state, outputs.get).with_deployment(
        INSTANCE_DEPLOYMENT
    )
    theirs = written(WRITTEN / f"{SERVICE}-{INSTANCE}")
    assert sorted(ours) == sorted(theirs)
    for name in ("proton.auto.tfvars.json", ".proton/deployment-metadata.json"):
        assert ours[name] == as_goldenpath(theirs[name]), name
    _same_variables_file(ours, theirs, "proton.service_instance.variables.tf", INSTANCE_ID)
    _same_tf_file(ours["config.tf"], theirs["config.tf"], INSTANCE_ID)
    _same_tf_file(ours["outputs.tf"], theirs["outputs.tf"], INSTANCE_ID)
    # lambda.tf: the provisioning sample ran an older copy of the bundle, whose role had
    # AWSLambdaBasicExecutionRole; the rest of the file, and its header, are the same.
    bundle = (
        SAMPLES / f"lambda-vpc/{SVC_TEMPLATE}/v1/instance_infrastructure/lambda.tf"
    ).read_bytes()
    assert ours["lambda.tf"].split(b"\n")[HEADER_LINES:] == bundle.split(b"\n")
    older = theirs["lambda.tf"].replace(
        b"AWSLambdaBasicExecutionRole", b"AWSLambdaVPCAccessExecutionRole"
    )
    _same_tf_file(ours["lambda.tf"], older, INSTANCE_ID)


def test_the_instance_is_pending_until_the_environment_has_outputs(state: DesiredState) -> None:
    rendered = render_terraform(state.units[INSTANCE_ID], state, lambda _u: None)
    assert rendered.pending == (ENV_ID,)
    values = json.loads(rendered.files["proton.auto.tfvars.json"])
    assert values["environment"]["outputs"] == {"*": f"known-after-apply:{ENV_ID}.*"}


def test_the_fingerprint_leaves_out_the_deployment_id(state: DesiredState) -> None:
    one = render_terraform(state.units[ENV_ID], state, lambda _u: None)
    two = render_terraform(state.units[ENV_ID], state, lambda _u: None)
    assert one.fingerprint() == two.fingerprint()
    assert one.with_deployment("a") != two.with_deployment("b")
    outputs = {ENV_ID: ENV_OUTPUTS}
    instance = render_terraform(state.units[INSTANCE_ID], state, outputs.get)
    moved = {ENV_ID: {**ENV_OUTPUTS, "subnet_id": "subnet-0"}}
    assert (
        instance.fingerprint()
        != render_terraform(state.units[INSTANCE_ID], state, moved.get).fingerprint()
    )


def test_the_deletion_marker_is_the_metadata_with_is_resource_deleted(state: DesiredState) -> None:
    resource = resource_of(state.units[INSTANCE_ID])
    marker = deletion_marker(resource, "11111111-2222-3333-4444-555555555555")
    assert list(marker) == [".proton/deployment-metadata.json"]
    data = json.loads(marker[".proton/deployment-metadata.json"])
    assert data["isResourceDeleted"] is True
    assert data["deploymentId"] == "11111111-2222-3333-4444-555555555555"
    back, deployment = resource_of_metadata(marker[".proton/deployment-metadata.json"])
    assert back == resource
    assert deployment == "11111111-2222-3333-4444-555555555555"
    assert back.environment == ENV and back.unit_id == INSTANCE_ID


@pytest.mark.skipif(shutil.which("jq") is None, reason="no jq on PATH (the workflow uses it)")
def test_the_sample_workflow_finds_each_units_folder_from_our_metadata(
    state: DesiredState, tmp_path: Path
) -> None:
    """The workflow's own "Get data" logic (proton_run.yml) on what we write."""
    script = _workflow_folder_logic()
    outputs = {ENV_ID: ENV_OUTPUTS}
    for unit_id, folder in ((ENV_ID, f"{ENV}/"), (INSTANCE_ID, f"{ENV}/{SERVICE}-{INSTANCE}/")):
        files = render_terraform(state.units[unit_id], state, outputs.get).with_deployment("d-1")
        path = tmp_path / unit_id.replace("/", "_") / "deployment-metadata.json"
        path.parent.mkdir()
        path.write_bytes(files[".proton/deployment-metadata.json"])
        done = subprocess.run(
            ["bash", "-c", script, "script", str(path)], capture_output=True, text=True, check=True
        )
        assert done.stdout.split() == [folder, "d-1", "false"], done.stderr
    pipeline = TerraformResource("pipeline/web", "pipeline", REGION, ACCOUNT, None, "svc", 1, 0)
    others = {
        "pipeline": (pipeline.metadata_file("d-2"), ["web/pipeline", "d-2", "false"]),
        "deleted": (
            deletion_marker(resource_of(state.units[INSTANCE_ID]), "d-3")[METADATA_FILE],
            [f"{ENV}/{SERVICE}-{INSTANCE}/", "d-3", "true"],
        ),
    }
    for name, (data, expected) in others.items():
        path = tmp_path / f"{name}.json"
        path.write_bytes(data)
        done = subprocess.run(
            ["bash", "-c", script, "script", str(path)], capture_output=True, text=True, check=True
        )
        assert done.stdout.split() == expected, name
        assert proton_folder(resource_of_metadata(data)[0]) == expected[0].rstrip("/")


def test_a_terraform_resource_reads_back_what_it_wrote() -> None:
    resource = TerraformResource(
        "pipeline/web", "pipeline", "us-west-2", "111111111111", None, "svc", 2, 3
    )
    data = resource.metadata_file("x")
    assert resource_of_metadata(data) == (resource, "x")
    assert json.loads(data)["resourceMetadata"] == {
        "arn": "urn:goldenpath:unit:us-west-2:111111111111:service/web/pipeline",
        "templateArn": "urn:goldenpath:template:::service-template/svc",
        "templateMajorVersion": "2",
        "templateMinorVersion": "3",
    }


@pytest.mark.skipif(shutil.which("terraform") is None, reason="no terraform binary on PATH")
def test_what_we_write_is_in_terraform_fmt_style(state: DesiredState, tmp_path: Path) -> None:
    outputs = {ENV_ID: ENV_OUTPUTS}
    for unit_id in (ENV_ID, INSTANCE_ID):
        folder = tmp_path / unit_id.replace("/", "_")
        for name, data in render_terraform(state.units[unit_id], state, outputs.get).files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
    done = subprocess.run(
        ["terraform", "fmt", "-check", "-diff", "-recursive", "-no-color", "."],
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
    assert done.returncode == 0, done.stdout + done.stderr


def _same_variables_file(
    ours: dict[str, bytes], theirs: dict[str, bytes], name: str, unit_id: str
) -> None:
    _same_header(ours[name], theirs[name], unit_id)
    assert ours[name].split(b"\n")[HEADER_LINES:] == theirs[name].split(b"\n")[HEADER_LINES:]


def _same_tf_file(ours: bytes, theirs: bytes, unit_id: str) -> None:
    _same_header(ours, theirs, unit_id)
    assert ours.split(b"\n")[HEADER_LINES:] == theirs.split(b"\n")[HEADER_LINES:]


def _same_header(ours: bytes, theirs: bytes, unit_id: str) -> None:
    """The same lines, blank where Proton's are; the product and the URN in its place."""
    mine, proton = header_of(ours), header_of(theirs)
    assert [line == b"" for line in mine] == [line == b"" for line in proton]
    assert mine[0] == proton[0] == b"/*" and mine[6] == proton[6] == b"*/"
    expected = as_goldenpath(proton[3]).replace(
        b"AWS Proton Resource: ", f"Goldenpath unit: {unit_id} (".encode()
    )
    assert mine[3] == expected + b")"
    for line in (1, 5):
        assert mine[line] == proton[line].replace(b"AWS Proton", b"Goldenpath")


def _workflow_folder_logic() -> str:
    """The workflow's "Get data" step, reading the metadata file given as $1, printing
    the working directory, the deployment id and is_deleted."""
    workflow = (PROVISIONING / ".github/workflows/proton_run.yml").read_text()
    step = workflow.split("- name: Get data")[1].split("run: |\n", 1)[1]
    body = step.split("if [[ $(jq -r --arg env $environment_name 'has($env)'")[0]
    lines = [line[8:] if line.startswith("        ") else line for line in body.splitlines()]
    script = "\n".join(lines)
    script = script.replace("${{ steps.find-modified.outputs.deployment-metadata-path }}", '"$1"')
    script = script.replace('echo "::set-output name=', "#")
    return script + '\necho "$working_directory" "$deployment_id" "$is_deleted"\n'
