"""Reading inputs back: a placeholder render walked against the live body."""

from __future__ import annotations

from reconciler.proton_import.readback import Placeholders, coerce, read_back, unified_diff

MARKS = Placeholders.of(["prefix", "count", "size"])


def render(prefix: str, count: str, size: str) -> str:
    return f"""Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${{AWS::StackName}}-{prefix}-jobs"
      DelaySeconds: {count}
      Tags:
        - {{Key: size, Value: '{size}'}}
"""


def test_whole_and_embedded_values_are_read_where_the_placeholders_stand() -> None:
    placeholder = render(*(MARKS.by_name[n] for n in ("prefix", "count", "size")))
    live = render("shop", "5", "large")

    readings = read_back(placeholder, live, MARKS)

    assert readings.by_name["prefix"].values == ("shop",)
    assert readings.by_name["prefix"].paths == ("Resources.Queue.Properties.QueueName.Fn::Sub",)
    assert readings.by_name["count"].values == (5,)
    assert readings.by_name["size"].values == ("large",)
    assert readings.mismatches == []


def test_a_live_string_that_does_not_fit_the_render_is_a_mismatch_not_a_value() -> None:
    placeholder = render(MARKS.by_name["prefix"], "1", "s")
    live = render("shop", "1", "s").replace("-jobs", "-other")

    readings = read_back(placeholder, live, MARKS)

    assert "prefix" not in readings.by_name
    assert len(readings.mismatches) == 1


def test_read_values_are_typed_as_the_schema_says() -> None:
    assert coerce("2", {"type": "number"}) == 2
    assert coerce("0.5", {"type": "number"}) == 0.5
    assert coerce(80, {"type": "string"}) == "80"
    assert coerce("true", {"type": "boolean"}) is True


def test_layout_and_quoting_do_not_count_in_the_diff() -> None:
    body = render("shop", "5", "large")
    relaid = body.replace("{Key: size, Value: 'large'}", '{"Key": "size", "Value": large}')
    assert unified_diff(body, relaid) == ""
    changed = unified_diff(body, render("shop", "6", "large"))
    assert '-    "DelaySeconds": 5,' in changed and '+    "DelaySeconds": 6,' in changed
