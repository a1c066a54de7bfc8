"""The guardrails' input for a Terraform unit: its HCL, parsed, as JSON (docs/guardrails.md).

Rego reads ``input.terraform``:
- ``files``: each ``.tf`` file of the unit's folder (the bundle's, as it wrote them, and
  the variables file Goldenpath writes), parsed by python-hcl2;
- ``resource``, ``data``, ``module``, ``variable``, ``output``, ``provider``: the blocks of
  every file merged by type and name, e.g. ``resource.aws_s3_bucket.logs`` (a ``provider``
  or a ``locals`` entry is a list: there may be several);
- ``values``: what Goldenpath passes to Terraform, ``proton.auto.tfvars.json`` as data
  (``values.environment.inputs``, ``values.service_instance.inputs`` …).

Values are as HCL wrote them: ``"${var.environment.inputs.vpc_cidr}"`` is a string, and
nested blocks are lists of objects. A policy sees what the files say, not what Terraform
will compute: that is known only when the team's CI runs ``terraform plan``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from reconciler.terraform._files import TFVARS_FILE, TerraformRender
from reconciler.terraform.hcl import parse_tf

# Blocks merged by type then name (two labels), and by name (one label).
_TWO_LABELS = ("resource", "data")
_ONE_LABEL = ("module", "variable", "output")
_LISTED = ("provider", "locals", "terraform")


def terraform_document(render: TerraformRender) -> dict[str, Any]:
    """``input.terraform`` for one rendered unit (its ``.tf`` files already parse)."""
    template = render.unit.bundle.infrastructure[render.unit.infrastructure]
    sources = dict(template.files)  # parsed as the bundle has them: shared by every unit
    sources.update((n, d) for n, d in render.files.items() if n not in sources)
    files: dict[str, Any] = {}
    for name, data in sorted(sources.items()):
        if name.endswith(".tf"):
            parsed = parse_tf(f"{template.path}/{name}", data)
            files[name] = dict(parsed.data) if parsed.data is not None else {}
    merged: dict[str, Any] = {key: {} for key in (*_TWO_LABELS, *_ONE_LABEL)}
    merged.update({key: [] for key in _LISTED})
    for parsed in files.values():
        for key in _TWO_LABELS:
            for block in parsed.get(key, []):
                for kind, named in block.items():
                    merged[key].setdefault(kind, {}).update(named)
        for key in _ONE_LABEL:
            for block in parsed.get(key, []):
                merged[key].update(block)
        for key in _LISTED:
            merged[key].extend(parsed.get(key, []))
    values = json.loads(render.files[TFVARS_FILE])
    return {"files": files, **merged, "values": values}


def block_line(render: TerraformRender, address: str) -> tuple[str, int] | None:
    """Where ``type.name`` (a resource), ``data.type.name`` or ``module.name`` is
    declared: the bundle file's repo-relative path and line."""
    parts = address.split(".")
    if len(parts) == 3 and parts[0] == "data":
        pattern = rf'^\s*data\s+"{re.escape(parts[1])}"\s+"{re.escape(parts[2])}"'
    elif len(parts) == 2 and parts[0] == "module":
        pattern = rf'^\s*module\s+"{re.escape(parts[1])}"'
    elif len(parts) == 2:
        pattern = rf'^\s*resource\s+"{re.escape(parts[0])}"\s+"{re.escape(parts[1])}"'
    else:
        return None
    found = re.compile(pattern.encode(), re.MULTILINE)
    template = render.unit.bundle.infrastructure[render.unit.infrastructure]
    for name, data in template.files:
        if name.endswith(".tf") and (match := found.search(data)) is not None:
            return f"{template.path}/{name}", data.count(b"\n", 0, match.start()) + 1
    return None
