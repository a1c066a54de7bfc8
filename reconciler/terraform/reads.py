"""Which ``var.service.*`` fields a Terraform folder reads, found without parsing.

The build asks this before rendering, as it asks ``render.service_fields_read`` of a Jinja
template: a service that sets no repository gets no ``service.repository_*`` in its
variable files, and a ``.tf`` file reading one would fail only in the team's CI. A plain
scan is enough: a reference is ``var.service.<field>`` in HCL, whatever surrounds it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reconciler.templates.model import TemplateFile

_READ = re.compile(rb"\bvar\.service\.([A-Za-z_][A-Za-z0-9_]*)")


def terraform_service_fields(file: TemplateFile) -> frozenset[str]:
    """Names ``f`` of ``var.service.f`` that the folder's ``.tf`` files read."""
    return frozenset().union(*(_fields(data) for name, data in file.files if name.endswith(".tf")))


@lru_cache(maxsize=256)
def _fields(data: bytes) -> frozenset[str]:
    return frozenset(match.decode() for match in _READ.findall(data))
