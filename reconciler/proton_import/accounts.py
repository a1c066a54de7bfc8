"""``accounts.yaml``: the AWS accounts ``goldenpath import`` scans, and the role for each.

::

    accounts:
      - id: "111111111111"
        region: us-west-2
        roleArn: "arn:aws:iam::111111111111:role/goldenpath-deployer"

Loaded safely (``reconciler.specs.yaml``); every problem names the file, the line and the
field, and says what was expected. Pure: text in, entries out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.errors import Problem, SpecError
from reconciler.specs.yaml import load_documents

_ACCOUNT_ID = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
EXPECTED = "a list of {id, region, roleArn}"
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>\d{12}):role/[\w+=,.@/-]+")


@dataclass(frozen=True)
class AccountEntry:
    """One account and region to scan, and the role Goldenpath assumes there."""

    id: str
    region: str
    role_arn: str | None = None

    def as_spec(self) -> dict[str, str]:
        """The ``account`` mapping of a Goldenpath spec."""
        found = {"id": self.id, "region": self.region}
        if self.role_arn:
            found["roleArn"] = self.role_arn
        return found


def parse_accounts(text: str | bytes, file: str) -> tuple[AccountEntry, ...]:
    docs = load_documents(text, file)
    doc = docs[0] if docs else None
    if doc is None or not isinstance(doc.data, dict) or "accounts" not in doc.data:
        raise SpecError([Problem(file, None, "accounts", f"expected 'accounts:', {EXPECTED}")])
    raw = doc.data["accounts"]
    if not isinstance(raw, list) or not raw:
        raise SpecError([doc.problem("accounts", f"expected {EXPECTED}, not empty")])
    problems: list[Problem] = []
    entries: list[AccountEntry] = []
    seen: set[tuple[str, str]] = set()
    for at, item in enumerate(raw):
        where = f"accounts[{at}]"
        if not isinstance(item, dict):
            problems.append(doc.problem(where, "expected a mapping {id, region, roleArn}"))
            continue
        unknown = sorted(set(item) - {"id", "region", "roleArn"})
        if unknown:
            problems.append(
                doc.problem(where, f"unknown field(s) {unknown}: expected id, region, roleArn")
            )
        account, region, role = item.get("id"), item.get("region"), item.get("roleArn")
        if not isinstance(account, str) or not _ACCOUNT_ID.fullmatch(account):
            hint = " (quote it: YAML reads digits as a number)" if isinstance(account, int) else ""
            problems.append(
                doc.problem(f"{where}.id", f"expected a 12-digit account id as a string{hint}")
            )
            continue
        if not isinstance(region, str) or not _REGION.fullmatch(region):
            problems.append(
                doc.problem(f"{where}.region", "expected an AWS region, e.g. us-west-2")
            )
            continue
        if role is not None:
            match = _ROLE_ARN.fullmatch(role) if isinstance(role, str) else None
            if match is None:
                problems.append(
                    doc.problem(f"{where}.roleArn", "expected arn:aws:iam::<account>:role/<name>")
                )
                continue
            if match["account"] != account:
                problems.append(
                    doc.problem(
                        f"{where}.roleArn",
                        f"the role is in account {match['account']}, not in {account}",
                    )
                )
                continue
        if (account, region) in seen:
            problems.append(doc.problem(where, f"{account}/{region} is listed twice"))
            continue
        seen.add((account, region))
        entries.append(AccountEntry(account, region, role))
    if problems:
        raise SpecError(problems)
    return tuple(entries)
