"""Rendering and lint-cache cost of validating a platform repo of N service instances.

The instances are spread round-robin over the 18 service templates of the Proton corpus
(../shared/proton-corpus), each with its own name and a varied input, so every rendered
body is distinct, as in a real repo. Environments are rendered once and their outputs
synthesized, as ``goldenpath validate`` does for environments not deployed yet.

Measured:

* cold render: a new Renderer (compiles each template once), N instance renders plus the
  placeholder scan the plan does on each body;
* lint, cold: cfn-lint on a sample of the bodies (it costs tens of milliseconds each);
* second run: N renders again plus a lint-cache lookup for every body. By default the cache
  is filled with the keys of all N bodies without running cfn-lint on each (that would take
  minutes and measure cfn-lint, not the cache); ``--lint-all`` lints every body for real.

    .venv/bin/python bench/render_validate.py                  # 5,000 instances
    .venv/bin/python bench/render_validate.py --instances 20000 --lint-sample 50

Targets (DESIGN.md): 5,000 instances validate, render but no lint, in under 5 s with peak
memory under 300 MB; a second run, reusing lint results, in under 2 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from ruamel.yaml import YAML  # noqa: E402

from reconciler.render import (  # noqa: E402
    EnvironmentInfo,
    Linter,
    LintReport,
    Renderer,
    ServiceInfo,
    environment_context,
    pending_values,
    service_instance_context,
    synthesize_outputs,
)
from reconciler.specs.model import Origin  # noqa: E402
from reconciler.templates.bundle import read_bundle_dir  # noqa: E402
from reconciler.templates.inputs import check_inputs  # noqa: E402
from reconciler.templates.model import Bundle  # noqa: E402

CORPUS = PROJECT_ROOT.parent / "shared" / "proton-corpus"
OUT = PROJECT_ROOT / "bench" / "out" / "render_validate.json"
ACCOUNT = "111111111111"
REGION = "us-west-2"
TARGET_COLD_S = 5.0
TARGET_SECOND_S = 2.0
TARGET_PEAK_MB = 300.0


def _bundles() -> tuple[dict[str, Bundle], list[tuple[Bundle, dict[str, Any]]]]:
    environments: dict[str, Bundle] = {}
    services: list[tuple[Bundle, dict[str, Any]]] = []
    for folder in sorted(CORPUS.rglob("v1")):
        bundle = read_bundle_dir(folder)
        if bundle.kind == "environment":
            environments[bundle.name] = bundle
        else:
            services.append((bundle, _sample_inputs(bundle, folder)))
    return environments, services


def _defaults(bundle: Bundle, kind: str) -> dict[str, Any]:
    values, _problems = check_inputs(bundle.input_schemas[kind], {}, origin=Origin("bench"))
    return values


def _sample_inputs(bundle: Bundle, folder: Path) -> dict[str, Any]:
    """Inputs from the first sample spec near the bundle that is valid for it."""
    candidates = [folder.parent / "spec" / "spec.yaml"]
    for group in (folder.parent.parent, folder.parent.parent.parent):
        candidates += sorted((group / "specs").glob("svc*spec.yaml"))
    for path in candidates:
        if not path.exists():
            continue
        spec = YAML(typ="safe").load(path.read_text())
        given = (spec.get("instances") or [{}])[0].get("spec") or {}
        values, problems = check_inputs(
            bundle.input_schemas["service"], given, origin=Origin(str(path))
        )
        if not any(problem.severity == "error" for problem in problems):
            return values
    return _defaults(bundle, "service")


def _environment_outputs(renderer: Renderer, bundle: Bundle) -> EnvironmentInfo:
    file = bundle.infrastructure["infrastructure"]
    context = environment_context(
        name="test", account_id=ACCOUNT, inputs=_defaults(bundle, "environment")
    )
    outputs = synthesize_outputs(
        renderer.render(file, context), account_id=ACCOUNT, region=REGION, stack_name=bundle.name
    )
    return EnvironmentInfo("test", ACCOUNT, outputs)


def _contexts(
    count: int,
    environments: dict[str, EnvironmentInfo],
    services: list[tuple[Bundle, dict[str, Any]]],
) -> list[tuple[Bundle, dict[str, Any]]]:
    work = []
    for index in range(count):
        bundle, sample = services[index % len(services)]
        [compatible] = bundle.compatible_environments
        inputs = dict(sample)
        if "desired_count" in inputs:
            inputs["desired_count"] = 1 + index % 5
        context = service_instance_context(
            service=ServiceInfo(
                name=f"svc-{index:05d}", repository_id="org/repo", branch_name="main"
            ),
            instance_name=f"inst-{index:05d}",
            inputs=inputs,
            environment=environments[compatible.template],
        )
        work.append((bundle, context))
    return work


def _render_all(renderer: Renderer, work: list[tuple[Bundle, dict[str, Any]]]) -> list[str]:
    bodies = []
    for bundle, context in work:
        body = renderer.render(bundle.infrastructure["instance_infrastructure"], context)
        pending_values(body)
        bodies.append(body)
    return bodies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--lint-sample", type=int, default=100)
    parser.add_argument("--lint-all", action="store_true")
    args = parser.parse_args()
    if not CORPUS.exists():
        sys.exit(f"{CORPUS} is absent: the corpus lives in ../shared beside the project")

    env_bundles, services = _bundles()
    setup = Renderer()
    environments = {name: _environment_outputs(setup, b) for name, b in env_bundles.items()}
    work = _contexts(args.instances, environments, services)

    renderer = Renderer()
    started = time.perf_counter()
    bodies = _render_all(renderer, work)
    cold_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    linter = Linter()
    sample = bodies[: args.lint_sample] if not args.lint_all else bodies
    lint_times = []
    for body in sample:
        lint_started = time.perf_counter()
        linter.lint(body, file="bench", regions=[REGION])
        lint_times.append(time.perf_counter() - lint_started)
    if not args.lint_all:
        for body in bodies[len(sample) :]:
            linter.cache.put(Linter.cache_key(body, (), [REGION]), LintReport())

    runs_before = linter.runs
    started = time.perf_counter()
    again = _render_all(renderer, work)
    for body in again:
        linter.lint(body, file="bench", regions=[REGION])
    second_s = time.perf_counter() - started
    assert linter.runs == runs_before, "the second run ran cfn-lint again"

    result = {
        "instances": args.instances,
        "distinct_bodies": len(set(bodies)),
        "service_templates": len(services),
        "cold_render_s": round(cold_s, 3),
        "render_per_instance_ms": round(1000 * cold_s / args.instances, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "lint_cold_sample": len(sample),
        "lint_cold_median_ms": round(1000 * statistics.median(lint_times), 1),
        "lint_cold_extrapolated_s": round(statistics.mean(lint_times) * args.instances, 1),
        "second_run_render_and_cached_lint_s": round(second_s, 3),
        "cache_filled_by_linting_every_body": args.lint_all,
        "targets": {
            "cold_render_s": TARGET_COLD_S,
            "second_run_s": TARGET_SECOND_S,
            "peak_rss_mb": TARGET_PEAK_MB,
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
