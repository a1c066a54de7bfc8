"""A render that runs too long or writes too much is aborted, even inside loops."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from reconciler.errors import RenderError
from reconciler.render import Renderer, RenderLimits
from tests.fakes.clock import FakeClock
from tests.render.conftest import template

# A nested loop that writes one line per turn: 10^10 turns if nothing stops it.
FOR_BOMB = "{% for i in range(100000) %}{% for j in range(100000) %}x\n{% endfor %}{% endfor %}"


class TickingClock:
    """A fake clock that moves on by ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self._clock = FakeClock(start=0.0)
        self._step = step

    def __call__(self) -> float:
        self._clock.advance(self._step)
        return self._clock.time()


def _render_error(renderer: Renderer, source: str) -> RenderError:
    with pytest.raises(RenderError) as caught:
        renderer.render(template(source), {})
    return caught.value


def test_a_for_bomb_is_aborted_when_its_time_is_up() -> None:
    renderer = Renderer(RenderLimits(max_seconds=2.0), clock=TickingClock(step=0.001))
    error = _render_error(renderer, FOR_BOMB)
    assert error.problem.message == "render aborted: render took longer than 2 s"
    assert error.problem.line == 1


def test_a_for_bomb_is_aborted_on_the_real_clock() -> None:
    renderer = Renderer(RenderLimits(max_seconds=0.2, max_output_bytes=10**9))
    assert "took longer than 0.2 s" in _render_error(renderer, FOR_BOMB).problem.message


def test_a_loop_that_writes_nothing_is_still_aborted_when_its_time_is_up() -> None:
    renderer = Renderer(RenderLimits(max_seconds=1.0), clock=TickingClock(step=0.001))
    silent = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    assert "took longer than 1 s" in _render_error(renderer, silent).problem.message


def test_output_over_the_size_limit_is_aborted_at_the_line_writing_it() -> None:
    renderer = Renderer(RenderLimits(max_output_bytes=1000))
    source = "a: 1\n{% for i in range(1000) %}line {{ i }}\n{% endfor %}"
    error = _render_error(renderer, source)
    assert error.problem.message.startswith("render aborted: the rendered template would be")
    assert error.problem.line == 2


def test_a_body_over_the_byte_limit_is_refused_even_when_its_characters_fit() -> None:
    renderer = Renderer(RenderLimits(max_output_bytes=100))
    error = _render_error(renderer, "{{ 'é' * 60 }}")  # 60 characters, 120 bytes
    assert "120 bytes, over the limit of 100" in error.problem.message


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("{{ 'a' * 10**9 }}", "a repeated sequence"),
        ("{{ 'x' | center(10**9) }}", "the 'center' filter"),
        ("{{ 'x' | indent(10**9) }}", "the 'indent' filter"),
        ("{{ '%09999999999d' % 1 }}", "a %-format field"),
        ("{{ '{:0999999999}'.format(1) }}", "a format field"),
        ("{{ 'x'.rjust(10**9) }}", "str.rjust()"),
        ("{{ range(100000) | map('string') | join('x' * 1000) }}", "a joined string"),
        ("{{ ('a' * 1000000).replace('a', 'bb') }}", "a replaced string"),
    ],
)
def test_a_single_operation_cannot_build_a_huge_string(source: str, what: str) -> None:
    renderer = Renderer(RenderLimits(max_output_bytes=1_048_576))
    assert what in _render_error(renderer, source).problem.message


def test_doubling_a_string_in_a_loop_is_stopped_at_the_size_limit() -> None:
    source = (
        "{% set ns = namespace(s='x' * 1000) %}"
        "{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}"
    )
    assert "over the limit" in _render_error(Renderer(), source).problem.message


def test_output_captured_in_a_set_block_counts_against_the_limit() -> None:
    source = "{% set x %}{% for i in range(100000) %}{{ 'y' * 100 }}{% endfor %}{% endset %}1"
    error = _render_error(Renderer(), source)
    assert "captured template output would be 10,000,000 characters" in error.problem.message


def test_a_huge_integer_power_is_refused() -> None:
    assert "an integer over" in _render_error(Renderer(), "{{ 7 ** 100000 }}").problem.message


def test_unbounded_macro_recursion_is_an_error() -> None:
    source = "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"
    assert "recursion too deep" in _render_error(Renderer(), source).problem.message


def test_a_recursive_context_is_refused() -> None:
    looped: dict[str, object] = {}
    looped["self"] = looped
    with pytest.raises(RenderError, match="nests too deeply"):
        Renderer().render(template("x"), {"environment": looped})


def test_a_template_is_compiled_once_for_many_renders() -> None:
    renderer = Renderer()
    with capture_logs() as logs:
        for port in range(3):
            renderer.render(template("{{ p }}"), {"p": port})
        renderer.render(template("{{ p }}!"), {"p": 1})
    compiled = [entry for entry in logs if entry["event"] == "render.compiled"]
    assert len(compiled) == 2


def test_the_compiled_cache_drops_the_least_recently_used_template() -> None:
    renderer = Renderer(RenderLimits(max_compiled_templates=1))
    with capture_logs() as logs:
        for source in ("a", "b", "a"):
            renderer.render(template(source), {})
    assert [entry["event"] for entry in logs].count("render.compiled") == 3


def test_widening_repeated_by_a_map_is_stopped_by_the_render_total() -> None:
    # Each center() alone is within the limit; 100,000 of them would be 100 GB.
    source = "{{ range(100000) | map('center', 1000000) | list | length }}"
    error = _render_error(Renderer(), source)
    assert "strings widened by this render to" in error.problem.message


def test_widening_repeated_in_a_loop_is_stopped_by_the_render_total() -> None:
    renderer = Renderer(RenderLimits(max_output_bytes=1000, max_widened_bytes=10_000))
    source = "{% for i in range(100) %}{% set s = '-' * 999 %}{% endfor %}done"
    assert "over the limit of 10,000" in _render_error(renderer, source).problem.message
