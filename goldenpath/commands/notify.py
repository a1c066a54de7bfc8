"""``goldenpath notify``: report a Terraform run to Goldenpath, from the workflow.

The one step of a provisioning repository's workflow that changes when it moves from
Proton: instead of ``aws proton notify-resource-deployment-status-change`` it runs

    goldenpath notify --url "$GOLDENPATH_URL" --deployment-id "$DEPLOYMENT_ID" \\
        --status SUCCEEDED --outputs-file outputs.json

with the token in ``GOLDENPATH_TOKEN`` (never on the command line, where process lists
show it). ``--outputs-file`` takes ``terraform output -json`` as Terraform writes it, or
Proton's list of ``{key, valueString}``; values that are not strings are sent as JSON
text. It POSTs to ``/api/v1/deployments/{id}/notifications`` and exits 0 when Goldenpath
took the notification, 1 with Goldenpath's message when it refused it.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from goldenpath.output import emit_json, say

TIMEOUT_S = 30.0


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("GOLDENPATH_URL"),
        help="Goldenpath's base URL, e.g. https://goldenpath.example.com (GOLDENPATH_URL)",
    )
    parser.add_argument("--deployment-id", required=True, help="deploymentId of the metadata")
    parser.add_argument("--status", required=True, choices=["IN_PROGRESS", "SUCCEEDED", "FAILED"])
    parser.add_argument("--message", default="", help="a status message (statusMessage)")
    parser.add_argument(
        "--outputs-file",
        type=Path,
        default=None,
        help="`terraform output -json`'s file, or Proton's [{key, valueString}] list",
    )
    parser.add_argument(
        "--token-env",
        default="GOLDENPATH_TOKEN",
        help="the environment variable holding the token (default GOLDENPATH_TOKEN)",
    )


def run(args: argparse.Namespace) -> int:
    import httpx

    token = os.environ.get(args.token_env, "").strip()
    problem = None
    if not args.url:
        problem = "no --url (or GOLDENPATH_URL): where is Goldenpath?"
    elif not token:
        problem = (
            f"no token in ${args.token_env}: an admin creates one with `goldenpath token create`"
        )
    try:
        outputs = _outputs(args.outputs_file) if args.outputs_file else []
    except (OSError, ValueError) as exc:
        problem = f"--outputs-file {args.outputs_file}: {exc}"
    if problem is not None:
        return _fail(args, problem)
    url = f"{args.url.rstrip('/')}/api/v1/deployments/{args.deployment_id}/notifications"
    body = {"status": args.status, "statusMessage": args.message, "outputs": outputs}
    try:
        response = httpx.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
        )
    except httpx.HTTPError as exc:
        return _fail(args, f"cannot reach {url}: {exc}")
    try:
        document: dict[str, Any] = response.json()
    except ValueError:
        document = {"message": response.text[:500]}
    if response.status_code != 200:
        return _fail(args, f"{response.status_code}: {document.get('message', document)}")
    if args.output == "json":
        emit_json(document)
    else:
        say(str(document.get("message", "notified")))
    return 0


def _outputs(path: Path) -> list[dict[str, str]]:
    """Proton's output list from either shape of outputs file."""
    document = json.loads(path.read_text())
    if isinstance(document, list):
        return document  # Proton's shape already; Goldenpath checks each entry
    if not isinstance(document, dict):
        raise ValueError("expected `terraform output -json`'s object or a list")
    found = []
    for key, entry in document.items():
        value = entry.get("value") if isinstance(entry, dict) and "value" in entry else entry
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        found.append({"key": key, "valueString": text})
    return found


def _fail(args: argparse.Namespace, message: str) -> int:
    if args.output == "json":
        emit_json({"error": "notify_failed", "message": message})
    else:
        say(f"error: {message}")
    return 1
