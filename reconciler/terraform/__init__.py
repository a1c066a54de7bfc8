"""Terraform units rendered as Proton's self-managed provisioning rendered them.

Pure core: no file, network, git or database access (``hcl`` parses bytes it is given).
The public surface, kept stable for the provisioning-repository writer:

``render_terraform(unit, state, outputs) -> TerraformRender``
    One Terraform unit (``unit.bundle.infrastructure[unit.infrastructure].is_terraform``)
    with the inputs it carries and its dependencies' outputs as ``outputs`` (unit id →
    outputs, or None when not known: ``desired.rendering.OutputSource``) knows them.
    Raises ``RenderError`` (file:line) when a ``.tf`` file does not parse.
``TerraformRender``
    ``.files``: path in the unit's folder → bytes, every file but the deployment
    metadata (the bundle's files as they are, ``proton.auto.tfvars.json``,
    ``proton.<kind>.variables.tf``); ``.with_deployment(deployment_id)``: all files,
    ``.proton/deployment-metadata.json`` included; ``.fingerprint()``: hash of everything
    but the deployment id, and of the target; ``.pending``: dependencies whose outputs
    are not known yet (then the files hold visible ``known-after-apply:`` placeholders and
    must not be written); ``.resource``: the ``TerraformResource``.
``terraform_files(unit, state, outputs, deployment_id) -> dict[str, bytes]``
    ``render_terraform(...).with_deployment(deployment_id)``, the one-call form.
``TerraformResource`` / ``resource_of(unit)``
    What names a unit in its files: ``.urn`` (``urn:goldenpath:unit:<region>:<account>:
    environment/<env>``, shaped like Proton's ARN so the sample workflow's parsing works),
    ``.environment_urn``, ``.template_urn``, ``.metadata(deployment_id)``.
``deletion_marker(resource, deployment_id) -> dict[str, bytes]``
    Proton's deletion form: only ``.proton/deployment-metadata.json``, with
    ``isResourceDeleted: true`` (the ``.tf`` files stay for ``terraform destroy``).
``resource_of_metadata(bytes) -> (TerraformResource, deployment_id)``
    Read back a metadata file Goldenpath wrote (for a unit whose spec is gone).
``proton_folder(resource) -> str``
    The folder the sample workflow derives from the URN: ``<env>``,
    ``<env>/<service>-<instance>``, ``<service>/pipeline``.
``METADATA_FILE``, ``TFVARS_FILE``, ``VARIABLES_FILE`` (kind → file name), ``jackson_json``.
``hcl``: ``parse_tf``, ``hcl_problems`` (python-hcl2, file and line).

Where the rest of the engine meets it:
- ``Unit.is_terraform`` (its folder's ``template_language``); a Terraform unit's
  ``stack_name`` is ``""``, and so is its record's: a recorded unit without a stack name
  is a Terraform unit, also once its spec is gone.
- ``desired.rendering.render_unit`` returns a ``RenderedUnit`` whose ``.terraform`` is the
  ``TerraformRender`` (``.body`` is the tfvars text; ``.fingerprint()`` is the render's).
- ``plan.model.UnitPlan.platform`` (``"terraform"``) and ``.files`` (file-level changes,
  None when not known); deletions of Terraform units carry ``platform="terraform"``.
- ``apply.executor``: a Terraform unit's create/update/delete ends ``blocked``
  (``TerraformNotApplied``, ``TERRAFORM_REFUSED``) until the provisioning repository is
  wired in there; nothing of it reaches CloudFormation.
"""

from reconciler.desired.units import DesiredState, Unit
from reconciler.terraform._files import (
    TFVARS_FILE,
    VARIABLES_FILE,
    TerraformRender,
    render_terraform,
    resource_of,
)
from reconciler.terraform._identity import (
    METADATA_FILE,
    MetadataError,
    TerraformResource,
    deletion_marker,
    proton_folder,
    resource_of_metadata,
)
from reconciler.terraform._json import jackson_json
from reconciler.terraform._namespaces import Outputs


def terraform_files(
    unit: Unit, state: DesiredState, outputs: Outputs, deployment_id: str
) -> dict[str, bytes]:
    """Every file of the unit's folder (path relative to it → bytes), for one deployment."""
    return render_terraform(unit, state, outputs).with_deployment(deployment_id)


__all__ = [
    "METADATA_FILE",
    "TFVARS_FILE",
    "VARIABLES_FILE",
    "MetadataError",
    "TerraformRender",
    "TerraformResource",
    "deletion_marker",
    "jackson_json",
    "proton_folder",
    "render_terraform",
    "resource_of",
    "resource_of_metadata",
    "terraform_files",
]
