"""Reading CloudFormation YAML the way CloudFormation reads it.

Two differences from PyYAML matter: the short-form tags (``!Ref``, ``!GetAtt`` …) stand
for intrinsic functions, and plain scalars such as ``2012-10-17`` stay strings (YAML 1.1
would make them dates, which then fail to serialize inside IAM policy documents). The
loader is safe: Python object tags are refused.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

TIMESTAMP = "tag:yaml.org,2002:timestamp"


class CloudFormationLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML has no stubs here
    """Safe YAML with CloudFormation's short-form tags and no implicit timestamps."""


CloudFormationLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    from moto.cloudformation import utils

    # Looked up at call time, so the ``getatt-list-form`` fix applies here too.
    return utils.yaml_tag_constructor(loader, "!" + suffix, node)


CloudFormationLoader.add_multi_constructor("!", _short_form)


def load_template(text: str) -> Any:
    """A template body as data: YAML (JSON is YAML too), falling back to strict JSON."""
    try:
        return yaml.load(text, Loader=CloudFormationLoader)
    except yaml.YAMLError:
        return json.loads(text)
