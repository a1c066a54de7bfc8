"""Moving a service spec's version fields keeps everything else as the team wrote it."""

from __future__ import annotations

import pytest

from reconciler.updates import RewriteRefused, VersionEdit, rewrite_versions

TEMPLATE = ("spec", "template", "version")

SPEC = b"""# Owned by storefront; ask in #storefront before changing.
apiVersion: goldenpath.dev/v1
kind: Service
metadata: {name: web, team: storefront}
spec:
  template: {name: svc, version: "1"}   # follows major 1
  updates:
    minor: manual

  instances:
      # test first
      - name: test
        environment: test
        version: '1.0'
      - {name: production, environment: production}
"""


def test_only_the_version_characters_change() -> None:
    out = rewrite_versions(
        "services/web.yaml",
        SPEC,
        "web",
        [VersionEdit(TEMPLATE, "1.2"), VersionEdit(("spec", "instances", 0, "version"), "1.2")],
    )
    assert out == (
        SPEC.replace(b'version: "1"}', b'version: "1.2"}').replace(
            b"version: '1.0'", b"version: '1.2'"
        )
    )


def test_an_unquoted_version_becomes_a_quoted_string() -> None:
    spec = SPEC.replace(b'version: "1"}', b"version: 1}")
    out = rewrite_versions("services/web.yaml", spec, "web", [VersionEdit(TEMPLATE, "1.10")])
    assert b'template: {name: svc, version: "1.10"}   # follows major 1' in out


def test_the_right_document_of_several_is_edited() -> None:
    other = SPEC.replace(b"name: web,", b"name: api,")
    out = rewrite_versions(
        "services/web.yaml", other + b"---\n" + SPEC, "web", [VersionEdit(TEMPLATE, "1.2")]
    )
    first, second = out.split(b"---\n")
    assert first == other
    assert b'version: "1.2"}' in second


def test_a_version_set_through_an_anchor_is_refused() -> None:
    spec = SPEC.replace(b'version: "1"}', b'version: &v "1"}')
    with pytest.raises(RewriteRefused) as refused:
        rewrite_versions("services/web.yaml", spec, "web", [VersionEdit(TEMPLATE, "1.2")])
    assert refused.value.file == "services/web.yaml"
    assert refused.value.field == "spec.template.version"
    assert "a YAML anchor" in refused.value.reason


def test_a_version_from_a_merge_key_is_refused() -> None:
    spec = SPEC.replace(
        b'  template: {name: svc, version: "1"}   # follows major 1\n',
        b'  base: &base {name: svc, version: "1"}\n  template:\n    <<: *base\n',
    ).replace(b"apiVersion", b"x-defaults: 1\napiVersion")
    with pytest.raises(RewriteRefused) as refused:
        rewrite_versions("services/web.yaml", spec, "web", [VersionEdit(TEMPLATE, "1.2")])
    assert "merge key" in refused.value.reason


def test_a_field_that_is_not_there_is_refused() -> None:
    with pytest.raises(RewriteRefused, match=r"spec.instances\[5\].version: is not in the file"):
        rewrite_versions(
            "services/web.yaml",
            SPEC,
            "web",
            [VersionEdit(("spec", "instances", 5, "version"), "1.2")],
        )


def test_a_file_that_is_not_yaml_is_refused() -> None:
    with pytest.raises(RewriteRefused, match="cannot be read as YAML"):
        rewrite_versions("services/web.yaml", b"spec: [\n", "web", [VersionEdit(TEMPLATE, "1.2")])


def test_a_service_not_in_the_file_is_refused() -> None:
    with pytest.raises(RewriteRefused, match="no document names service 'api'"):
        rewrite_versions("services/web.yaml", SPEC, "api", [VersionEdit(TEMPLATE, "1.2")])
