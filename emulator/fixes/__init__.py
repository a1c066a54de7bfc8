"""The registry of fixes for moto bugs that real Proton templates hit.

Each fix is one small patch in a module of its own, whose docstring says which moto
behaviour it corrects. The registry below is the single list of them: the docs render it
as a table, ``GET /_goldenpath/fixes`` serves it, and the tests iterate it.

Every patch checks ``fix_enabled(name)`` each time it runs, so a test can switch one off
(``with disabled("getazs-region-ref"): ...``) and show that stock moto still has the bug.
When a moto upgrade fixes a bug, that test fails with "fix X is no longer needed".

Importing this module is cheap; the patches import moto only when ``install_fixes`` runs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# The moto release every fix below was measured against (pinned in pyproject.toml).
MOTO_VERSION = "5.2.5"


@dataclass(frozen=True)
class Fix:
    """One named correction of a moto behaviour."""

    name: str
    """Stable kebab-case name, used by ``disabled()`` and in the docs table."""

    moto_version: str
    """The moto version in which the bug was measured."""

    bug: str
    """What stock moto does wrong, in one sentence."""

    remedy: str
    """What the patch does instead, in one sentence."""

    module: str
    """The module that holds the patch; it exposes ``install() -> None``."""


FIXES: tuple[Fix, ...] = (
    Fix(
        name="getazs-region-ref",
        moto_version=MOTO_VERSION,
        bug="`Fn::GetAZs: {Ref: AWS::Region}` is not resolved: the zones come out as "
        "`{'Ref': 'AWS::Region'}a`, so every subnet that picks an AZ fails.",
        remedy="Resolve the argument first (empty means the stack's region) and return the "
        "zones moto's EC2 knows for that region.",
        module="emulator.fixes.availability_zones",
    ),
    Fix(
        name="getatt-unimplemented",
        moto_version=MOTO_VERSION,
        bug="`Fn::GetAtt` of an attribute a moto model does not implement (a subnet's "
        "`AvailabilityZone`) resolves to the unresolved `{'Fn::GetAtt': [...]}` dict, which "
        "leaks into properties and outputs.",
        remedy="Read the model's field of the same name (`availability_zone`), else fail with "
        "CloudFormation's unknown-attribute error.",
        module="emulator.fixes.getatt_unimplemented",
    ),
    Fix(
        name="target-group-double-dash",
        moto_version=MOTO_VERSION,
        bug="A target-group name containing `--` is refused, though AWS accepts it "
        "(the tutorial's service names its target group `<service>--<instance>`).",
        remedy="Create the target group under a stand-in name and give it its real name "
        "and ARN afterwards.",
        module="emulator.fixes.target_group_names",
    ),
    Fix(
        name="ecr-auto-name",
        moto_version=MOTO_VERSION,
        bug="An ECR repository without `RepositoryName` gets a generated name with "
        "upper-case letters, which fails moto's own repository-name pattern.",
        remedy="Generate the name in lower case, as CloudFormation does.",
        module="emulator.fixes.ecr_repository_names",
    ),
    Fix(
        name="ingress-without-ports",
        moto_version=MOTO_VERSION,
        bug="An inline `SecurityGroupIngress` rule without `FromPort`/`ToPort` "
        "(e.g. `IpProtocol: -1`) raises `KeyError('FromPort')`.",
        remedy="Treat absent ports as -1 (all ports), as EC2 does for such rules.",
        module="emulator.fixes.ingress_ports",
    ),
    Fix(
        name="unsupported-types",
        moto_version=MOTO_VERSION,
        bug="Resources of types moto has no CloudFormation model for (CodeBuild, "
        "CodePipeline, CloudWatch alarms, Cloud Map, App Runner, RDS clusters…) are dropped "
        "silently: `Ref` resolves to nothing and `Fn::GetAtt` fails the stack.",
        remedy="Give the catalogued types simulated resources with real-format ids and "
        "attributes, and refuse any other unknown type as CloudFormation does.",
        module="emulator.fixes.unsupported_types",
    ),
    Fix(
        name="serialized-requests",
        moto_version=MOTO_VERSION,
        bug="CloudFormation calls are not thread-safe: concurrent `CreateStack` calls raise "
        "`RuntimeError: OrderedDict mutated during iteration` (an HTTP 500).",
        remedy="Serialize CloudFormation requests (and delayed stack operations) with one lock.",
        module="emulator.fixes.serialized_requests",
    ),
    Fix(
        name="noop-update",
        moto_version=MOTO_VERSION,
        bug="`Type: Number` parameters are compared as int against the submitted string "
        "(and updates without parameters are not compared at all), so an unchanged update "
        'runs instead of failing with "No updates are to be performed.".',
        remedy="Compare the resolved parameters as CloudFormation does (as strings, with "
        "previous values and defaults) and the parsed templates.",
        module="emulator.fixes.noop_updates",
    ),
    Fix(
        name="getatt-list-form",
        moto_version=MOTO_VERSION,
        bug="`!GetAtt [Resource, Attribute]` (the YAML list form) yields YAML node objects, "
        'so the stack fails with "Fn::GetAtt references undefined resource ScalarNode(...)".',
        remedy="Construct the list's values, as for every other short-form function.",
        module="emulator.fixes.getatt_list_form",
    ),
    Fix(
        name="short-form-mapping",
        moto_version=MOTO_VERSION,
        bug="A short-form function whose argument is a YAML mapping (`!GetAZs {Ref: "
        "'AWS::Region'}`, `!Base64 {'Fn::Sub': ...}`, `!ImportValue {'Fn::Sub': ...}`) "
        "yields YAML node pairs, so the stack fails with a `KeyError` naming YAML nodes.",
        remedy="Construct the mapping, as the long form `Fn::GetAZs: {Ref: ...}` reads.",
        module="emulator.fixes.short_form_mapping",
    ),
    Fix(
        name="short-form-condition",
        moto_version=MOTO_VERSION,
        bug="`!Condition Name` inside `!And`, `!Or` or `!Not` is read as `Fn::Condition`, "
        "which moto does not evaluate: the condition comes out wrong without an error.",
        remedy="Read it as `{Condition: Name}`, as CloudFormation does.",
        module="emulator.fixes.short_form_condition",
    ),
    Fix(
        name="yaml-dates",
        moto_version=MOTO_VERSION,
        bug="YAML templates are read as YAML 1.1, so a plain `Version: 2012-10-17` in an IAM "
        'policy becomes a date and the policy fails with "Object of type date is not JSON '
        'serializable".',
        remedy="Read templates as CloudFormation does: such values stay strings (and the "
        "loader is a safe one).",
        module="emulator.fixes.yaml_dates",
    ),
    Fix(
        name="property-types",
        moto_version=MOTO_VERSION,
        bug="Property values reach moto's models as written: a quoted number such as "
        "`DesiredCount: '2'` (Proton templates quote every Jinja value) stays a string and "
        "ECS fails with `TypeError: unsupported operand type(s) for -: 'str' and 'int'`.",
        remedy="Convert values to the integer, number and boolean types the provider schema "
        "declares, as CloudFormation does.",
        module="emulator.fixes.property_types",
    ),
    Fix(
        name="delete-leaves-resources",
        moto_version=MOTO_VERSION,
        bug="Deleting a stack silently skips every resource whose model cannot delete itself "
        "(route tables, internet gateways, NAT gateways, EIPs, ECS services, ELBv2 target "
        "groups…): the VPC delete then fails with `DependencyViolation`, and re-creating the "
        "stack collides with the leftovers.",
        remedy="Delete those types through their moto backends.",
        module="emulator.fixes.leftover_resources",
    ),
    Fix(
        name="resource-without-properties",
        moto_version=MOTO_VERSION,
        bug="A resource written without `Properties` counts as modified in every update and "
        "change set (moto adds `Properties: {}` to the stored template when it creates it).",
        remedy="Compare against the new template with the same empty `Properties` added.",
        module="emulator.fixes.empty_properties",
    ),
    Fix(
        name="update-keeps-resource",
        moto_version=MOTO_VERSION,
        bug="Updating a resource whose moto model has no update support replaces it with "
        "`None`: its `Ref` and outputs vanish after the update.",
        remedy="Keep the existing resource (updated in place) when moto cannot update it.",
        module="emulator.fixes.update_keeps_resource",
    ),
    Fix(
        name="last-updated-time",
        moto_version=MOTO_VERSION,
        bug="Stacks have no `LastUpdatedTime`: after an `UpdateStack` (by anyone) "
        "`DescribeStacks` and `ListStacks` still show only `CreationTime`, so a change made "
        "outside Goldenpath cannot be seen.",
        remedy="Set it when an update (or an update change set) begins, as CloudFormation "
        "does; a stack never updated has none.",
        module="emulator.fixes.last_updated_time",
    ),
)

_BY_NAME = {fix.name: fix for fix in FIXES}
_disabled: set[str] = set()
_disabled_lock = threading.Lock()
_installed = False
_install_lock = threading.Lock()


def fix_enabled(name: str) -> bool:
    """Whether the named fix is in force; patches call this each time they run."""
    if name not in _BY_NAME:
        raise KeyError(f"unknown fix {name!r}; known fixes: {', '.join(_BY_NAME)}")
    return name not in _disabled


@contextmanager
def disabled(*names: str) -> Iterator[None]:
    """Switch fixes off for the duration of a block, to show the stock moto behaviour.

    Process-wide: meant for tests that run one at a time against one emulator.
    """
    for name in names:
        fix_enabled(name)  # raises on an unknown name before anything changes
    with _disabled_lock:
        newly = {name for name in names if name not in _disabled}
        _disabled.update(newly)
    try:
        yield
    finally:
        with _disabled_lock:
            _disabled.difference_update(newly)


def install_fixes() -> None:
    """Apply every patch once per process (idempotent and thread-safe)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        for fix in FIXES:
            importlib.import_module(fix.module).install()
        _installed = True


def describe_fixes() -> list[dict[str, object]]:
    """The registry as JSON, for ``GET /_goldenpath/fixes``."""
    return [
        {
            "name": fix.name,
            "motoVersion": fix.moto_version,
            "bug": fix.bug,
            "remedy": fix.remedy,
            "enabled": fix_enabled(fix.name),
        }
        for fix in FIXES
    ]


def fixes_table() -> str:
    """The registry as the Markdown table that docs/emulator.md carries."""
    lines = ["| fix | moto | bug | remedy |", "|---|---|---|---|"]
    lines += [f"| `{fix.name}` | {fix.moto_version} | {fix.bug} | {fix.remedy} |" for fix in FIXES]
    return "\n".join(lines)
