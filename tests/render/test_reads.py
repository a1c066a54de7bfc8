"""Which ``service.*`` fields a template reads, from its syntax alone."""

from __future__ import annotations

import pytest

from reconciler.render import service_fields_read
from reconciler.templates.model import TemplateFile


def reads(source: str) -> set[str]:
    return set(service_fields_read(TemplateFile("t.yaml", source)))


@pytest.mark.parametrize(
    ("source", "fields"),
    [
        ("{{ service.repository_connection_arn }}", {"repository_connection_arn"}),
        ("{{ service['branch_name'] }}", {"branch_name"}),
        ("{% if x %}{{ service.repository_id | lower }}{% endif %}", {"repository_id"}),
        ("{{ service.name }}-{{ service_instance.name }}", {"name"}),
        ("{{ pipeline.inputs.service.repository_id }}", set()),  # not the namespace
        ("{{ service.repository_id | default('none') }}", set()),
        ("{% if service.repository_id is defined %}{{ service.repository_id }}{% endif %}", set()),
        ("{{ service.name", set()),  # a syntax error: rendering reports it
    ],
)
def test_unguarded_reads_of_the_service_namespace(source: str, fields: set[str]) -> None:
    assert reads(source) == fields
