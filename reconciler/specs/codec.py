"""Specs and problems as plain JSON, so a loaded spec file can be kept by its content.

A spec file that has not changed need not be parsed again: its specs and problems are
stored under the hash of its path and bytes (``reconciler.desired.memo``). These are the
compact encodings: lists in field order, decoded back into the very same frozen values.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import Problem
from reconciler.specs.model import (
    Account,
    Binding,
    ComponentAttachment,
    ComponentRole,
    Environment,
    Instance,
    Origin,
    Pipeline,
    Repository,
    Service,
    StackName,
    TemplateRef,
)

Json = Any


def origin_json(o: Origin) -> Json:
    return [o.file, o.line, o.field]


def origin_of(data: Json) -> Origin:
    return Origin(data[0], data[1], data[2])


def problem_json(p: Problem) -> Json:
    return [p.file, p.line, p.field, p.message, p.severity]


def problem_of(data: Json) -> Problem:
    return Problem(data[0], data[1], data[2], data[3], data[4])


def account_json(a: Account) -> Json:
    return [a.id, a.region, a.role_arn]


def account_of(data: Json) -> Account:
    return Account(data[0], data[1], data[2])


def _stack_json(n: StackName | None) -> Json:
    return [n.name, origin_json(n.origin)] if n is not None else None


def _stack_of(data: Json) -> StackName | None:
    return StackName(data[0], origin_of(data[1])) if data is not None else None


def _ref_json(t: TemplateRef) -> Json:
    return [t.name, t.version, origin_json(t.origin)]


def _ref_of(data: Json) -> TemplateRef:
    return TemplateRef(data[0], data[1], origin_of(data[2]))


def environment_json(e: Environment) -> Json:
    return [
        "Environment",
        e.name,
        _ref_json(e.template),
        account_json(e.account),
        e.updates,
        dict(e.inputs),
        origin_json(e.origin),
        _stack_json(e.stack_name),
        [e.component_role.arn, origin_json(e.component_role.origin)] if e.component_role else None,
    ]


def _environment_of(data: Json) -> Environment:
    return Environment(
        name=data[1],
        template=_ref_of(data[2]),
        account=account_of(data[3]),
        updates=data[4],
        inputs=data[5],
        origin=origin_of(data[6]),
        stack_name=_stack_of(data[7]),
        component_role=ComponentRole(data[8][0], origin_of(data[8][1])) if data[8] else None,
    )


def service_json(s: Service) -> Json:
    repo = s.repository
    return [
        "Service",
        s.name,
        s.team,
        _ref_json(s.template),
        s.updates,
        [repo.provider, repo.id, repo.branch, repo.connection_arn, origin_json(repo.origin)]
        if repo
        else None,
        _pipeline_json(s.pipeline) if s.pipeline else None,
        [_instance_json(i) for i in s.instances],
        origin_json(s.origin),
    ]


def _service_of(data: Json) -> Service:
    repo, pipeline = data[5], data[6]
    return Service(
        name=data[1],
        team=data[2],
        template=_ref_of(data[3]),
        updates=data[4],
        repository=Repository(repo[0], repo[1], repo[2], repo[3], origin_of(repo[4]))
        if repo
        else None,
        pipeline=Pipeline(pipeline[0], origin_of(pipeline[1]), _stack_of(pipeline[2]))
        if pipeline
        else None,
        instances=tuple(_instance_of(i) for i in data[7]),
        origin=origin_of(data[8]),
    )


def _pipeline_json(p: Pipeline) -> Json:
    return [dict(p.inputs), origin_json(p.origin), _stack_json(p.stack_name)]


def _instance_json(i: Instance) -> Json:
    return [
        i.name,
        i.environment,
        dict(i.inputs),
        [[b.alias, b.service, origin_json(b.origin)] for b in i.bindings],
        origin_json(i.origin),
        i.template_version,
        _stack_json(i.stack_name),
        [[c.name, origin_json(c.origin), _stack_json(c.stack_name)] for c in i.components],
    ]


def _instance_of(data: Json) -> Instance:
    return Instance(
        name=data[0],
        environment=data[1],
        inputs=data[2],
        bindings=tuple(Binding(b[0], b[1], origin_of(b[2])) for b in data[3]),
        origin=origin_of(data[4]),
        template_version=data[5],
        stack_name=_stack_of(data[6]),
        components=tuple(
            ComponentAttachment(c[0], origin_of(c[1]), _stack_of(c[2])) for c in data[7]
        ),
    )


def spec_json(spec: Environment | Service) -> Json:
    return environment_json(spec) if isinstance(spec, Environment) else service_json(spec)


def spec_of(data: Json) -> Environment | Service:
    return _environment_of(data) if data[0] == "Environment" else _service_of(data)
