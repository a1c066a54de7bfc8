"""Turn the spec files of a platform repo into ``Specs``, reporting every problem at once.

Input is the repo's files as a mapping of repo-relative path to bytes (the source step
reads them from git or disk); output is the validated specs plus the problems found.
A file with problems is left out of ``Specs`` but never stops the others from loading,
so one run reports everything that is wrong.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

import schemas
from reconciler.errors import Problem, SpecError
from reconciler.specs.codec import problem_json, problem_of, spec_json, spec_of
from reconciler.specs.consistency import document_problems, second_document
from reconciler.specs.drift import drift_problems, drift_settings
from reconciler.specs.memo import ContentMemo, content_key
from reconciler.specs.model import (
    Account,
    Binding,
    ComponentAttachment,
    ComponentRole,
    Environment,
    ForgeConfig,
    GuardrailException,
    Instance,
    Origin,
    Pipeline,
    Platform,
    PruneRules,
    Repository,
    Service,
    Specs,
    StackName,
    Team,
    Teams,
    TemplateRef,
)
from reconciler.specs.notifications import notification_problems, notification_targets
from reconciler.specs.problems import problems_of, validator_for
from reconciler.specs.terraform import terraform_problems, terraform_settings
from reconciler.specs.yaml import Document, load_documents

PLATFORM_FILE = "goldenpath.yaml"
TEAMS_FILE = "teams.yaml"
# Folder → the kind every document in it must be.
FOLDER_KINDS = {"environments": "Environment", "services": "Service"}
FILE_KINDS = {PLATFORM_FILE: "Platform", TEAMS_FILE: "Teams"}
API_VERSION = "goldenpath.dev/v1"


def is_spec_path(path: str) -> bool:
    if path in FILE_KINDS:
        return True
    folder, _, name = path.partition("/")
    return folder in FOLDER_KINDS and "/" not in name and name.endswith((".yaml", ".yml"))


@dataclass
class _Collected:
    problems: list[Problem] = field(default_factory=list)
    environments: dict[str, Environment] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    platform: Platform | None = None
    teams: Teams | None = None


# Memo namespace: a spec file's specs and problems, by the hash of its path and bytes.
SPEC_FILES = "spec-files"
Loaded = list[tuple[Any, list[Problem]]]  # per document: the spec (or None) and its problems


def load_specs(
    files: Mapping[str, bytes], memo: ContentMemo | None = None
) -> tuple[Specs, list[Problem]]:
    """Every spec in ``files`` (path → bytes); problems for what is wrong.

    With a ``memo``, environment and service files whose bytes were loaded before are
    not parsed again.
    """
    loaded, _keys = load_spec_files(files, spec_paths(files), memo)
    specs, by_file = collect_specs(loaded)
    return specs, [p for found in by_file.values() for p in found]


def spec_paths(files: Mapping[str, bytes]) -> list[str]:
    """The spec files among ``files``, in the order they are loaded (sorted)."""
    return sorted(p for p in files if is_spec_path(p))


def load_spec_files(
    files: Mapping[str, bytes], paths: Iterable[str], memo: ContentMemo | None = None
) -> tuple[dict[str, Loaded], dict[str, str]]:
    """What each of ``paths`` holds; and the content key of each (with a ``memo``).

    ``goldenpath.yaml`` and ``teams.yaml`` are read every time (they are small, and their
    specs have no JSON form); other files come from the memo when their bytes did.
    """
    paths = list(paths)
    keys: dict[str, str] = {}
    known: dict[str, Loaded] = {}
    if memo is not None:
        keys = {p: content_key(p, files[p]) for p in paths if p not in FILE_KINDS}
        known = memo.fetch(SPEC_FILES, keys.values(), _decode_loaded)
    loaded: dict[str, Loaded] = {}
    for path in paths:
        key = keys.get(path)
        found = known.get(key) if key is not None else None
        if found is None:
            found = _load_file(path, files[path])
            if memo is not None and key is not None:
                memo.put(SPEC_FILES, key, found, _encode_loaded)
        loaded[path] = found
    return loaded, keys


def collect_specs(loaded: Mapping[str, Loaded]) -> tuple[Specs, dict[str, list[Problem]]]:
    """``Specs`` from what each file held (in load order); the problems of each file.

    A name defined twice is a problem of the later file; the first definition stands.
    """
    found = _Collected()
    by_file: dict[str, list[Problem]] = {}
    for path, documents in loaded.items():
        found.problems = []
        for spec, problems in documents:
            found.problems.extend(problems)
            if spec is not None:
                _collect(spec, found)
        if found.problems:
            by_file[path] = found.problems
    platform = found.platform or Platform()
    specs = Specs(
        platform=platform,
        teams=found.teams,
        environments={
            name: _in_default_region(env, platform.region)
            for name, env in found.environments.items()
        },
        services=found.services,
        platform_error=next(
            (str(p) for p in by_file.get(PLATFORM_FILE, ()) if p.severity == "error"), None
        ),
    )
    return specs, by_file


def _load_file(path: str, data: bytes) -> Loaded:
    """Each document of one spec file: its spec, or the problems that kept it out."""
    problems: list[Problem] = []
    docs = _documents(path, data, problems)
    loaded: Loaded = [(None, problems)] if problems else []
    expected = _expected_kind(path)
    for doc in docs:
        loaded.append(_load_document(doc, expected))
    return loaded


def _encode_loaded(loaded: Loaded) -> Any:
    return [
        [spec_json(spec) if spec is not None else None, [problem_json(p) for p in problems]]
        for spec, problems in loaded
    ]


def _decode_loaded(data: Any) -> Loaded:
    return [
        (spec_of(spec) if spec is not None else None, [problem_of(p) for p in problems])
        for spec, problems in data
    ]


def _in_default_region(env: Environment, region: str) -> Environment:
    if env.account.region:
        return env
    return replace(env, account=replace(env.account, region=region))


def load_document(doc: Document) -> Environment | Service | Teams | Platform:
    """One schema-valid document as its spec value; raises SpecError when invalid."""
    kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
    problems = check_schema(doc, str(kind)) or document_problems(doc, str(kind))
    if not problems and kind == "Platform":
        problems = drift_problems(doc) + notification_problems(doc)
    if problems:
        raise SpecError(problems)
    spec: Environment | Service | Teams | Platform = _BUILDERS[str(kind)](doc)
    return spec


def check_schema(doc: Document, kind: str) -> list[Problem]:
    if not isinstance(doc.data, dict):
        return [
            Problem(doc.file, 1, "", "expected a mapping with apiVersion, kind, metadata, spec")
        ]
    if kind not in schemas.KINDS:
        known = ", ".join(schemas.KINDS)
        got = doc.data.get("kind")
        return [doc.problem("kind", f"unknown kind {got!r}; expected one of: {known}")]
    return problems_of(_validator(kind), doc.data, file=doc.file, locate=doc.line)


@cache
def _validator(kind: str) -> Any:
    return validator_for(schemas.for_kind(kind), [schemas.load("common")])


def _documents(path: str, data: bytes, problems: list[Problem]) -> list[Document]:
    try:
        docs = load_documents(data, path)
    except SpecError as exc:
        problems.extend(exc.problems)
        return []
    if not docs:
        problems.append(Problem(path, None, "", "file is empty; expected a spec"))
    return docs


def _expected_kind(path: str) -> str:
    return FILE_KINDS.get(path) or FOLDER_KINDS[path.split("/", 1)[0]]


def _load_document(doc: Document, expected: str) -> tuple[Any, list[Problem]]:
    kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
    if isinstance(doc.data, dict) and kind != expected:
        where = posixpath.dirname(doc.file) or "the repo root"
        return None, [doc.problem("kind", f"expected kind {expected!r} in {where}, got {kind!r}")]
    problems = check_schema(doc, expected)
    if not problems and expected == "Platform":
        problems = drift_problems(doc) + terraform_problems(doc) + notification_problems(doc)
    if problems:
        return None, problems
    problems = document_problems(doc, expected)
    if problems and expected not in _KEPT_WITH_PROBLEMS:
        return None, problems
    return _BUILDERS[expected](doc), problems


# Kinds kept in ``Specs`` despite their own rules' problems (a role of another account),
# so that the units aimed there are refused with that reason, not with "no such
# environment": the build builds no unit aimed at such an account, and none at all while
# goldenpath.yaml has an error (``Specs.platform_error``).
_KEPT_WITH_PROBLEMS = frozenset({"Environment", "Platform"})


def _collect(spec: Environment | Service | Platform | Teams, found: _Collected) -> None:
    if isinstance(spec, Environment):
        _add_named(found.environments, spec, found.problems)
    elif isinstance(spec, Service):
        _add_named(found.services, spec, found.problems)
    elif isinstance(spec, Platform):
        if found.platform is None:
            found.platform = spec
        else:
            found.problems.append(second_document(spec.origin, "Platform", found.platform.origin))
    elif isinstance(spec, Teams):
        if found.teams is None:
            found.teams = spec
        else:
            found.problems.append(second_document(spec.origin, "Teams", found.teams.origin))


def _add_named(into: dict[str, Any], spec: Environment | Service, problems: list[Problem]) -> None:
    earlier = into.get(spec.name)
    if earlier is not None:
        where = f"{earlier.origin.file}:{earlier.origin.line}"
        origin = spec.origin  # the line of metadata.name
        problems.append(
            Problem(
                origin.file,
                origin.line,
                "metadata.name",
                f"duplicate name {spec.name!r}; already defined in {where}",
            )
        )
        return
    into[spec.name] = spec


def _origin(doc: Document, path: str) -> Origin:
    return Origin(doc.file, doc.line(path), path)


def _template(doc: Document, data: Mapping[str, Any]) -> TemplateRef:
    ref = data["spec"]["template"]
    return TemplateRef(ref["name"], str(ref["version"]), _origin(doc, "spec.template"))


def _account(data: Mapping[str, Any], default_region: str) -> Account:
    return Account(
        id=str(data["id"]),
        region=str(data.get("region", default_region)),
        role_arn=data.get("roleArn"),
    )


# An environment without a region takes goldenpath.yaml's, filled in by load_specs.
UNSET_REGION = ""


def _environment(doc: Document) -> Environment:
    data, spec = doc.data, doc.data["spec"]
    return Environment(
        name=data["metadata"]["name"],
        template=_template(doc, data),
        account=_account(spec["account"], UNSET_REGION),
        updates=spec.get("updates", {}).get("minor", "manual"),
        inputs=spec.get("inputs", {}),
        origin=_origin(doc, "metadata.name"),
        stack_name=_stack_name(doc, spec, "spec.stackName"),
        component_role=ComponentRole(
            spec["componentRoleArn"], _origin(doc, "spec.componentRoleArn")
        )
        if "componentRoleArn" in spec
        else None,
    )


def _service(doc: Document) -> Service:
    data, spec = doc.data, doc.data["spec"]
    repo = spec.get("repository")
    pipeline = spec.get("pipeline")
    return Service(
        name=data["metadata"]["name"],
        team=data["metadata"].get("team"),
        template=_template(doc, data),
        updates=spec.get("updates", {}).get("minor", "manual"),
        repository=Repository(
            provider=repo["provider"],
            id=repo["id"],
            branch=repo.get("branch", "main"),
            connection_arn=repo.get("connectionArn"),
            origin=_origin(doc, "spec.repository"),
        )
        if repo
        else None,
        pipeline=Pipeline(
            pipeline.get("inputs", {}),
            _origin(doc, "spec.pipeline"),
            _stack_name(doc, pipeline, "spec.pipeline.stackName"),
        )
        if pipeline is not None
        else None,
        instances=tuple(_instances(doc, spec["instances"])),
        origin=_origin(doc, "metadata.name"),
    )


def _instances(doc: Document, items: Iterable[Mapping[str, Any]]) -> Iterable[Instance]:
    for i, item in enumerate(items):
        at = f"spec.instances[{i}]"
        yield Instance(
            name=item["name"],
            environment=item["environment"],
            inputs=item.get("inputs", {}),
            bindings=tuple(
                Binding(alias, target["service"], _origin(doc, f"{at}.bindings.{alias}"))
                for alias, target in item.get("bindings", {}).items()
            ),
            origin=_origin(doc, f"{at}.name"),
            template_version=item.get("version"),
            stack_name=_stack_name(doc, item, f"{at}.stackName"),
            components=tuple(_components(doc, item.get("components", ()), at)),
        )


def _components(
    doc: Document, items: Iterable[str | Mapping[str, Any]], at: str
) -> Iterable[ComponentAttachment]:
    for j, item in enumerate(items):
        where = f"{at}.components[{j}]"
        given = None if isinstance(item, str) else _stack_name(doc, item, f"{where}.stackName")
        name = item if isinstance(item, str) else item["name"]
        yield ComponentAttachment(name, _origin(doc, where), given)


def _stack_name(doc: Document, data: Mapping[str, Any], path: str) -> StackName | None:
    name = data.get("stackName")
    return StackName(name, _origin(doc, path)) if name is not None else None


def _teams(doc: Document) -> Teams:
    teams = {
        name: Team(
            name=name,
            members=tuple(t["members"]),
            admin=bool(t.get("admin", False)),
            templates=tuple(t.get("templates", ())),
            environments=tuple(t.get("environments", ())),
        )
        for name, t in doc.data["spec"]["teams"].items()
    }
    return Teams(teams, _origin(doc, "spec.teams"))


def _platform(doc: Document) -> Platform:
    spec = doc.data.get("spec", {})
    region = spec.get("region", Platform.region)
    pipelines = spec.get("pipelines", {})
    account = pipelines.get("account")
    prune = spec.get("prune", {})
    return Platform(
        name=doc.data["metadata"]["name"],
        region=region,
        rollout_order=tuple(spec.get("rollout", {}).get("order", ())),
        pipeline_account=_account(account, region) if account else None,
        repository_connections=dict(pipelines.get("repositoryConnections", {})),
        prune=PruneRules(
            environment=bool(prune.get("environment", False)),
            service=bool(prune.get("service", False)),
            pipeline=bool(prune.get("pipeline", False)),
            component=bool(prune.get("component", True)),
        ),
        lint_ignore_checks=tuple(spec.get("lint", {}).get("ignore_checks", ())),
        data_templates=tuple(spec.get("data_templates", ())),
        forge=ForgeConfig(**spec.get("forge", {})),
        drift=drift_settings(spec.get("drift", {})),
        origin=_origin(doc, "metadata.name"),
        guardrail_exceptions=tuple(
            GuardrailException(
                e["rule"],
                tuple(e["units"]),
                e["reason"],
                str(e["expires"]),
                _origin(doc, f"spec.guardrails.exceptions[{i}]"),
            )
            for i, e in enumerate(spec.get("guardrails", {}).get("exceptions", ()))
        ),
        terraform=terraform_settings(spec.get("terraform", {}), _origin(doc, "spec.terraform")),
        notifications=notification_targets(doc),
    )


_BUILDERS: dict[str, Any] = {
    "Environment": _environment,
    "Service": _service,
    "Teams": _teams,
    "Platform": _platform,
}
