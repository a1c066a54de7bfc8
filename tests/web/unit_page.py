"""Helpers of the unit page tests: a secret input on orders in production, and deployments
of it that a real ``goldenpath serve`` applies (or fails) against the emulator."""

from __future__ import annotations

from reconciler.state import Deployment
from tests.engine.conftest import Harness
from tests.engine.platforms import INSTANCE_TEMPLATE, set_inputs
from tests.engine.unsticking import ORDERS_PRODUCTION, PRODUCTION, eventually

SECRET = "hunter2-swordfish-42"
SCHEMA = "templates/svc/v1/schema/schema.yaml"
DEAD_LETTER_INPUT = "        dead_letter: {type: boolean, default: false}\n"
VPC_TAG = "          Value: '{{ environment.outputs.VpcId }}'\n"


def with_secret_input(cycle: Harness) -> None:
    """The svc template gets a secret input (``format: password``) that it puts in a tag;
    orders in production sets it. Committed before serve starts."""
    schema = cycle.repo.root / SCHEMA
    text = schema.read_text()
    assert DEAD_LETTER_INPUT in text
    secret = '        api_key: {type: string, format: password, default: "none"}\n'
    schema.write_text(text.replace(DEAD_LETTER_INPUT, DEAD_LETTER_INPUT + secret))
    template = cycle.repo.root / INSTANCE_TEMPLATE
    body = template.read_text()
    assert VPC_TAG in body
    tag = "        - Key: api-key\n          Value: '{{ service_instance.inputs.api_key }}'\n"
    template.write_text(body.replace(VPC_TAG, VPC_TAG + tag))
    set_inputs(cycle.repo, "orders", "production", f"{{api_key: {SECRET}}}")
    cycle.repo.commit("svc takes an API key; orders in production has one")


def deploy_orders_in_production(cycle: Harness, inputs: str) -> Deployment:
    """Commit ``inputs`` for orders in production; the deployment serve makes of it, ended."""
    before = cycle.store.history(PRODUCTION, 1)[0].id
    set_inputs(cycle.repo, "orders", "production", inputs)
    cycle.repo.commit(f"orders in production: {inputs}")

    def ended() -> Deployment | None:
        latest = cycle.store.history(PRODUCTION, 1)[0]
        return latest if latest.id > before and latest.finished else None

    return eventually(ended, f"serve's deployment of {inputs}", limit=120)


def fail_next_update(cycle: Harness) -> None:
    """The next update of orders in production fails on a new dead-letter queue (and rolls
    back)."""
    cycle.aws.add_fault(
        {
            "kind": "fail",
            "operation": "update",
            "stackName": ORDERS_PRODUCTION,
            "account": cycle.accounts.production,
            "logicalResourceId": "DeadLetter",
            "message": "dead-letter quota",
            "count": 1,
        }
    )
