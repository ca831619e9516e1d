"""The IVR menu and its decisions, without a telephone."""

from pathlib import Path

import pytest

from hotline.settings import CONFIG_DIR
from ivr.decision import Ask, Route, default_route, emergency_route, first_step, next_step
from ivr.menu import RouteKind, load_menu, parse_menu

MENU = load_menu(CONFIG_DIR / "ivr-menu.yaml")


def walk(keys: list[str | None]) -> tuple[list[Ask], Route]:
    state, step = first_step(MENU)
    asked = []
    for key in keys:
        assert isinstance(step, Ask)
        asked.append(step)
        state, step = next_step(MENU, state, key)
        if isinstance(step, Route):
            return asked, step
    raise AssertionError(f"no route after {keys}")


def test_shipped_menu_offers_every_call_type_the_issue_names():
    labels = {option.label for option in MENU.options.values()}
    assert {"紧急求助", "咨询", "求助", "投诉/举报", "意见建议/表扬", "人工服务"} <= labels
    assert MENU.options["1"].route is RouteKind.EMERGENCY
    assert MENU.options["0"].queue == MENU.default_queue == "general"


def test_welcome_and_menu_are_offered_together_so_a_key_can_cut_the_welcome_short():
    state, step = first_step(MENU)
    assert step.prompts == ("welcome", "menu")
    _, route = next_step(MENU, state, "1")
    assert isinstance(route, Route) and route.is_urgent


@pytest.mark.parametrize(
    ("key", "kind", "queue", "call_type"),
    [
        ("1", RouteKind.EMERGENCY, None, "emergency"),
        ("2", RouteKind.QUEUE, "consult", "consultation"),
        ("3", RouteKind.QUEUE, "help", "help"),
        ("4", RouteKind.QUEUE, "complaint", "complaint"),
        ("5", RouteKind.QUEUE, "suggestion", "suggestion"),
        ("0", RouteKind.QUEUE, "general", None),
    ],
)
def test_each_key_routes_where_the_menu_says(key, kind, queue, call_type):
    _, route = walk([key])
    assert (route.kind, route.queue, route.call_type) == (kind, queue, call_type)
    assert route.reason == f"key {key}"


def test_silence_goes_to_the_general_queue():
    _, route = walk([None])
    assert route.kind is RouteKind.QUEUE and route.queue == "general"
    assert route.reason == "timeout"


def test_invalid_keys_repeat_the_menu_then_go_to_the_general_queue():
    asked, route = walk(["9"] * MENU.menu.max_attempts)
    assert len(asked) == MENU.menu.max_attempts
    assert all(step.prompts == ("invalid", "menu") for step in asked[1:])
    assert route.queue == "general" and route.reason == "invalid keys"


def test_an_invalid_key_then_emergency_still_reaches_110_and_keeps_the_path():
    state, step = first_step(MENU)
    state, step = next_step(MENU, state, "7")
    state, step = next_step(MENU, state, "1")
    assert isinstance(step, Route) and step.is_urgent
    assert state.path == ("7", "1")


def test_emergency_fallback_puts_the_caller_at_the_head_of_the_queue():
    route = emergency_route(MENU, "speech")
    assert route.priority == MENU.emergency_fallback_priority > MENU.queues["general"].priority
    assert default_route(MENU, "error").queue == "general"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["options"]["2"].update(queue="nowhere"), "不存在的队列"),
        (lambda m: m.update(default_queue="nowhere"), "默认队列"),
        (lambda m: m["options"].pop("1"), "紧急求助"),
        (lambda m: m["options"].update({"12": m["options"]["2"]}), "按键"),
        (lambda m: m["prompts"].pop("welcome"), "welcome"),
    ],
)
def test_a_broken_menu_is_refused_with_a_reason(change, message):
    import yaml

    data = yaml.safe_load((CONFIG_DIR / "ivr-menu.yaml").read_text(encoding="utf-8"))
    change(data)
    with pytest.raises(ValueError, match=message):
        parse_menu(yaml.safe_dump(data, allow_unicode=True))


def test_menu_that_is_not_yaml_is_refused():
    with pytest.raises(ValueError, match="YAML"):
        parse_menu("options: [unclosed")


def test_menu_file_is_valid(tmp_path: Path):
    assert load_menu(CONFIG_DIR / "ivr-menu.yaml").emergency_keys == "1"
