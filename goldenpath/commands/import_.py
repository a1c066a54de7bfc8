"""``goldenpath import``: a platform repo from what Proton left in the accounts.

    goldenpath import --accounts accounts.yaml --templates DIR \\
        [--spec environment/NAME=FILE]... [--spec service/NAME=FILE]... \\
        --out REPO [--aws-endpoint-url URL] [--output json]

It lists the ``AWSProton-*`` stacks of each account, groups them into units by their
``proton:*`` tags, finds for each the template version and inputs whose render is the
live body (from the spec files, or read back from the live template), and writes specs
that adopt the stacks in place (``stackName``). It only reads the cloud.

Exit codes: 0 every unit matches exactly; 2 some unit differs (its diff is shown; the
files are written so the inputs can be fixed there); 1 an error: bad input, a stack or
account that could not be read, a unit that could not be recovered, or a conflicting
file in ``--out`` (then nothing is written).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

HELP_SPEC = "a Proton spec file for one environment or service: environment/NAME=FILE"


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--accounts", required=True, help="accounts.yaml: accounts to scan")
    parser.add_argument(
        "--templates", required=True, help="folder of <name>/v<N>/ template bundles"
    )
    parser.add_argument(
        "--spec", action="append", default=[], metavar="KIND/NAME=FILE", help=HELP_SPEC
    )
    parser.add_argument("--out", required=True, help="a new folder, or an existing platform repo")


def run(args: argparse.Namespace) -> int:
    from goldenpath.cloud import open_cloud
    from goldenpath.import_report import ScanProgressView, error_exit
    from goldenpath.importing import ImportInputError, check_out, read_spec_options, read_templates
    from reconciler.errors import SpecError
    from reconciler.proton_import.accounts import parse_accounts
    from reconciler.proton_import.estate import Sources, recover_estate
    from reconciler.proton_import.tags import group
    from reconciler.proton_scan import scan
    from reconciler.render import Renderer

    try:
        accounts = parse_accounts(Path(args.accounts).read_bytes(), args.accounts)
        templates = read_templates(Path(args.templates))
        specs = read_spec_options(args.spec)
        existing = check_out(Path(args.out))
    except SpecError as exc:
        return error_exit(args, [str(p) for p in exc.problems])
    except ImportInputError as exc:
        return error_exit(args, [str(exc)])
    except OSError as exc:
        return error_exit(args, [f"{exc.filename or args.accounts}: {exc.strerror or exc}"])

    with open_cloud(args) as cloud, ScanProgressView(args.output != "json") as view:
        scanned = scan(cloud, accounts, view.update)
    estate = group(scanned.stacks, scanned.problems)
    unknown = _unknown_specs(specs.options, estate)
    if unknown:
        return error_exit(args, unknown)
    recovered = recover_estate(
        estate,
        scanned.bodies,
        Sources(templates.candidates, specs.environments, specs.services),
        Renderer(),
    )
    return _write_and_report(args, accounts, templates, estate, scanned, recovered, existing)


def _unknown_specs(options: dict[str, str], estate: Any) -> list[str]:
    problems = []
    for key, option in options.items():
        kind, name = key.split("/", 1)
        known = sorted(estate.environments) if kind == "environment" else estate.services
        if name not in known:
            problems.append(
                f"--spec {option}: no Proton stack of {kind} {name} was found in the scanned "
                f"accounts (found: {', '.join(known) or 'none'})"
            )
    return problems


def _write_and_report(
    args: argparse.Namespace,
    accounts: Any,
    templates: Any,
    estate: Any,
    scanned: Any,
    recovered: Any,
    existing: bool,
) -> int:
    from goldenpath.import_report import Outcome, report
    from goldenpath.importing import bundle_files, conflicts, write_repo
    from reconciler.proton_import import writing

    out = Path(args.out)
    files: dict[str, bytes] = {}
    versions: dict[str, str] = {}
    used: list[tuple[str, int]] = []
    skipped: dict[str, str] = {}
    for result in recovered.units():
        recovery = result.recovery
        if recovery.bundle is None or recovery.error is not None:
            skipped[result.unit_id] = recovery.error or "no template version could be rendered"
            continue
        used.append((recovery.bundle.name, recovery.bundle.major))
        versions[result.unit_id] = str(recovery.version)
    envs = [r for r in recovered.environments if r.unit_id in versions]
    for result in envs:
        path, text = writing.environment_file(result, accounts, version=versions[result.unit_id])
        files[path] = text.encode()
    written_envs = {str(r.stack.unit.environment) for r in envs}
    for service in recovered.services:
        kept = _service_kept(service, versions, written_envs, skipped)
        if kept is not None:
            path, text = writing.service_file(kept, versions=versions, team=_owner(out))
            files[path] = text.encode()
    pipelines = Counter(
        (r.stack.account, r.stack.region)
        for s in recovered.services
        if (r := s.pipeline) is not None and r.unit_id in versions
    )
    pipeline_entry = _pipeline_account(pipelines, accounts)
    regions = Counter(r.stack.region for r in recovered.units())
    if not (out / "goldenpath.yaml").exists():
        region = regions.most_common(1)[0][0] if regions else accounts[0].region
        path, text = writing.platform_file(pipeline_entry, region)
        files[path] = text.encode()
    if not (out / "teams.yaml").exists():
        path, text = writing.teams_file()
        files[path] = text.encode()
    files.update(bundle_files(templates, used))
    clashes = conflicts(out, files)
    written: list[str] = []
    if not clashes:
        out.mkdir(parents=True, exist_ok=True)
        written = write_repo(out, files, existing=existing)
    outcome = Outcome(
        out=str(out),
        existing=existing,
        recovered=recovered,
        estate=estate,
        unreadable=scanned.unreadable,
        skipped=skipped,
        written=written,
        conflicts=clashes,
        pipelines_accounts=sorted(f"{a}/{r}" for a, r in pipelines),
    )
    return report(args, outcome)


def _service_kept(
    service: Any, versions: dict[str, str], envs: set[str], skipped: dict[str, str]
) -> Any:
    """The service with only the units that can be written; None when nothing is left."""
    from dataclasses import replace

    instances = []
    for result in service.instances:
        if result.unit_id not in versions:
            continue
        if str(result.stack.unit.environment) not in envs:
            skipped[result.unit_id] = (
                f"its environment {result.stack.unit.environment} was not imported"
            )
            continue
        instances.append(result)
    pipeline = service.pipeline
    if pipeline is not None and pipeline.unit_id not in versions:
        pipeline = None
    if not instances and pipeline is None:
        return None
    return replace(service, instances=tuple(instances), pipeline=pipeline)


def _owner(out: Path) -> str:
    """The team imported services belong to: an admin team of an existing teams.yaml."""
    from reconciler.errors import SpecError
    from reconciler.proton_import.writing import ADMIN_TEAM
    from reconciler.specs.yaml import load_documents

    path = out / "teams.yaml"
    if not path.is_file():
        return ADMIN_TEAM
    try:
        docs = load_documents(path.read_bytes(), str(path))
        teams = docs[0].data["spec"]["teams"]
    except (SpecError, LookupError, TypeError):
        return ADMIN_TEAM
    admins = [name for name, team in teams.items() if isinstance(team, dict) and team.get("admin")]
    return str((admins or list(teams) or [ADMIN_TEAM])[0])


def _pipeline_account(pipelines: Counter[tuple[str, str]], accounts: Any) -> Any:
    if not pipelines:
        return None
    (account, region), _count = pipelines.most_common(1)[0]
    return next((a for a in accounts if a.id == account and a.region == region), None)
