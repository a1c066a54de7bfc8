"""accounts.yaml: the accounts to scan; every problem names the file, line and field."""

from __future__ import annotations

import pytest

from reconciler.errors import SpecError
from reconciler.proton_import.accounts import AccountEntry, parse_accounts

ROLE = "arn:aws:iam::111111111111:role/goldenpath-deployer"


def test_accounts_are_read_with_their_roles() -> None:
    text = f'accounts:\n  - {{id: "111111111111", region: us-west-2, roleArn: "{ROLE}"}}\n'
    assert parse_accounts(text, "accounts.yaml") == (
        AccountEntry("111111111111", "us-west-2", ROLE),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "accounts: []\n",
            "accounts.yaml:1 accounts: expected a list of {id, region, roleArn}, not empty",
        ),
        (
            'accounts:\n  - {id: "111111111111", region: Oregon}\n',
            "accounts.yaml:2 accounts[0].region: expected an AWS region",
        ),
        (
            'accounts:\n  - {id: "222222222222", region: us-west-2, roleArn: "' + ROLE + '"}\n',
            "accounts[0].roleArn: the role is in account 111111111111, not in 222222222222",
        ),
        (
            'accounts:\n  - {id: "111111111111", region: us-west-2, role: x}\n',
            "accounts[0]: unknown field(s) ['role']",
        ),
        (
            'accounts:\n  - {id: "111111111111", region: us-west-2}\n'
            '  - {id: "111111111111", region: us-west-2}\n',
            "accounts.yaml:3 accounts[1]: 111111111111/us-west-2 is listed twice",
        ),
    ],
)
def test_bad_accounts_files_say_where_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(SpecError) as raised:
        parse_accounts(text, "accounts.yaml")
    assert message in str(raised.value)
