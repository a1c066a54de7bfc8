"""Fix ``ecr-auto-name``: ECR repositories that CloudFormation names.

When a template gives no ``RepositoryName`` (the Proton pipeline templates do not), moto
5.2.5 generates ``<stack>-<LogicalId>-<SUFFIX>`` with upper-case letters, and its own ECR
backend then refuses that name (the pattern allows lower case only). CloudFormation
generates a lower-case name for ECR.

The patch lower-cases the generated name of ``AWS::ECR::Repository`` resources.
"""

from __future__ import annotations

from emulator.fixes import fix_enabled

NAME = "ecr-auto-name"
ECR_REPOSITORY = "AWS::ECR::Repository"


def install() -> None:
    from moto.cloudformation import parsing

    stock_generate = parsing.generate_resource_name

    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = stock_generate(resource_type, stack_name, logical_id)
        if resource_type == ECR_REPOSITORY and fix_enabled(NAME):
            return name.lower()
        return name

    parsing.generate_resource_name = generate_resource_name
