"""What CloudFormation refuses up front, which moto lets through (or answers with a 500).

Each check raises the error AWS returns, with AWS's wording, before any stack changes:
the stack-name pattern, the template-body size limit, unparseable templates, unknown
resource types, references to nothing, missing parameter values, missing IAM or
auto-expand capabilities, operations on a stack that is busy or in a state that cannot
be updated, deleting a stack with termination protection, and a service role (``RoleARN``)
that is no role of the stack's own account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from moto.cloudformation.exceptions import CloudFormationError, ValidationError

from emulator.fixes.noop_updates import resolve_parameters
from emulator.fixes.unsupported_types import unrecognized_types
from emulator.stacks.dependencies import references
from emulator.template_yaml import CloudFormationLoader

STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]*")
# A CloudFormation service role: an IAM role ARN (its account is checked separately).
SERVICE_ROLE = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/[\w+=,.@/-]+")
STACK_NAME_LIMIT = 128
# CloudFormation's limit for TemplateBody; bigger templates must go through S3 (TemplateURL).
TEMPLATE_BODY_LIMIT = 51_200
PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
IAM_TYPES = {
    "AWS::IAM::AccessKey": None,
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::UserToGroupAddition": None,
}
SAM_FUNCTION = "AWS::Serverless::Function"


class InsufficientCapabilities(CloudFormationError):
    """The template needs a capability the caller did not acknowledge."""

    def __init__(self, capability: str) -> None:
        super().__init__(
            "InsufficientCapabilitiesException", f"Requires capabilities : [{capability}]"
        )


class InvalidChangeSetStatus(CloudFormationError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidChangeSetStatus", message)


def check_stack_name(name: str | None) -> str:
    if not name or len(name) > STACK_NAME_LIMIT or not STACK_NAME.fullmatch(name):
        raise ValidationError(
            message=f"1 validation error detected: Value '{name}' at 'stackName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "[a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )
    return name


def parse_template(body: str | None) -> dict[str, Any]:
    """The template as a dict, or the ValidationError CloudFormation gives for it."""
    if not body:
        raise ValidationError(message="Either Template URL or Template Body must be specified.")
    if len(body.encode("utf-8")) > TEMPLATE_BODY_LIMIT:
        raise ValidationError(
            message="1 validation error detected: Value at 'templateBody' failed to satisfy "
            f"constraint: Member must have length less than or equal to {TEMPLATE_BODY_LIMIT}"
        )
    try:
        template = yaml.load(body, Loader=CloudFormationLoader)
    except yaml.YAMLError as yaml_error:
        try:
            template = json.loads(body)
        except json.JSONDecodeError:
            mark = getattr(yaml_error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise ValidationError(
                message=f"Template format error: YAML not well-formed.{where}"
            ) from yaml_error
    if not isinstance(template, dict):
        raise ValidationError(message="Template format error: JSON not well-formed.")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise ValidationError(
            message="Template format error: At least one Resources member must be defined."
        )
    return template


def check_template(template: Mapping[str, Any]) -> None:
    """Types exist, every resource has one, and every reference points at something."""
    resources = template["Resources"]
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise ValidationError(
                message=f"Template format error: [/Resources/{logical_id}] "
                "Every Resources object must contain a Type member."
            )
    unknown = unrecognized_types(resource["Type"] for resource in resources.values())
    if unknown:
        raise ValidationError(
            message=f"Template format error: Unrecognized resource types: [{', '.join(unknown)}]"
        )
    known = set(resources) | set(template.get("Parameters") or {}) | PSEUDO_PARAMETERS
    for block in ("Resources", "Outputs"):
        missing = _unresolved(template.get(block) or {}, known)
        if missing:
            raise ValidationError(
                message=f"Template format error: Unresolved resource dependencies "
                f"[{', '.join(missing)}] in the {block} block of the template"
            )


def _unresolved(block: Mapping[str, Any], known: set[str]) -> list[str]:
    missing: dict[str, None] = {}
    for entry in block.values():
        if not isinstance(entry, dict):
            continue
        for name in references(entry):
            if name not in known:
                missing[name] = None
        depends_on = entry.get("DependsOn") or []
        for name in [depends_on] if isinstance(depends_on, str) else depends_on:
            if name not in known:
                missing[name] = None
    return list(missing)


def check_parameters(template: Mapping[str, Any], given: Mapping[str, Any]) -> None:
    declared = template.get("Parameters") or {}
    unknown = [name for name in given if name not in declared]
    if unknown:
        raise ValidationError(
            message=f"Parameters: [{', '.join(unknown)}] do not exist in the template"
        )
    resolved = resolve_parameters(declared, given)
    missing = [name for name in declared if name not in resolved]
    if missing:
        raise ValidationError(message=f"Parameters: [{', '.join(missing)}] must have values")


def required_capability(template: Mapping[str, Any]) -> list[str]:
    """The capabilities CloudFormation requires before it creates this template."""
    needed: list[str] = []
    transforms = template.get("Transform") or []
    if transforms:
        needed.append("CAPABILITY_AUTO_EXPAND")
    iam = named = False
    for resource in template["Resources"].values():
        resource_type = resource.get("Type")
        properties = resource.get("Properties") or {}
        if resource_type in IAM_TYPES:
            iam = True
            name_property = IAM_TYPES[resource_type]
            named = named or bool(name_property and name_property in properties)
        elif resource_type == SAM_FUNCTION and "Role" not in properties:
            iam = True  # SAM creates the function's execution role
    if named:
        needed.append("CAPABILITY_NAMED_IAM")
    elif iam:
        needed.append("CAPABILITY_IAM")
    return needed


def check_capabilities(
    template: Mapping[str, Any], capabilities: Iterable[str], change_set: bool = False
) -> None:
    granted = set(capabilities)
    for capability in required_capability(template):
        if capability == "CAPABILITY_AUTO_EXPAND" and change_set:
            continue  # a change set shows the expansion for review first
        if capability == "CAPABILITY_IAM" and "CAPABILITY_NAMED_IAM" in granted:
            continue
        if capability not in granted:
            raise InsufficientCapabilities(capability)


def check_updatable(stack: Any) -> None:
    if stack.status not in UPDATABLE:
        raise ValidationError(
            message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
        )


def check_deletable(stack: Any) -> None:
    if stack.enable_termination_protection:
        raise ValidationError(
            message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
        )


def check_service_role(role_arn: str | None, account_id: str) -> None:
    """A stack's ``RoleARN`` must be a role of the stack's own account, as in AWS (which
    also refuses roles it cannot assume; the emulator has no IAM to ask, so any role of
    the account is taken to trust CloudFormation)."""
    if role_arn is None:
        return
    match = SERVICE_ROLE.fullmatch(role_arn)
    if match is None or match["account"] != account_id:
        raise ValidationError(message=f"Role {role_arn} is invalid or cannot be assumed")
