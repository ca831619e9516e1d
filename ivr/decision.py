"""What the IVR does next, given what the caller did.

The FastAGI layer feeds caller events (a key, silence) into :func:`next_step` and carries out
the returned step; it never decides by itself. A caller always ends in a :class:`Route`:
silence and confusion lead to the default queue, never to a dead end.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ivr.menu import Menu, RouteKind


@dataclass(frozen=True)
class Ask:
    """Play these prompts, any key cutting them short, and wait for one key."""

    prompts: tuple[str, ...]
    timeout_seconds: float


@dataclass(frozen=True)
class Listen:
    """Play these prompts (a key cuts them short), then record what the caller says.

    The utterance is decoded and its text matched against the urgent keywords; the result
    comes back through :func:`heard`.
    """

    prompts: tuple[str, ...]
    max_seconds: float
    silence_seconds: float


@dataclass(frozen=True)
class Route:
    """Where the call goes now. ``reason`` is kept on the ticket (the IVR path)."""

    kind: RouteKind
    queue: str | None
    priority: int
    call_type: str | None
    reason: str
    key: str | None = None
    label: str | None = None
    # Words of the caller's speech that made this an emergency.
    urgent_words: tuple[str, ...] = ()

    @property
    def is_urgent(self) -> bool:
        return self.kind is RouteKind.EMERGENCY


@dataclass(frozen=True)
class IvrState:
    """What happened so far in one call; ``path`` is the keys and events, in order."""

    attempts: int = 0
    path: tuple[str, ...] = field(default_factory=tuple)


Step = Ask | Listen | Route

SPEAK_PROMPT = "speak"


def first_step(
    menu: Menu, listen: tuple[float, float] | None = None
) -> tuple[IvrState, Ask | Listen]:
    """The welcome and the menu, offered once; a key during either answers it.

    With ``listen`` (max seconds, silence seconds) and a ``speak`` prompt in the menu, the
    caller is first invited to say the problem: urgent words reach 110 as the key does.
    """
    if listen and SPEAK_PROMPT in menu.prompts:
        return IvrState(attempts=0), Listen(("welcome", SPEAK_PROMPT), *listen)
    return IvrState(attempts=1), Ask(("welcome", "menu"), menu.menu.timeout_seconds)


def heard(menu: Menu, state: IvrState, urgent_words: tuple[str, ...]) -> tuple[IvrState, Step]:
    """After the caller spoke: urgent words go to 110, anything else to the menu.

    Whatever was (or was not) recognised, the call goes on: a failed decode is no words.
    """
    state = IvrState(state.attempts, (*state.path, "speech"))
    if urgent_words:
        route = emergency_route(menu, "speech")
        return state, replace(route, urgent_words=tuple(urgent_words))
    return IvrState(state.attempts + 1, state.path), Ask(("menu",), menu.menu.timeout_seconds)


def next_step(menu: Menu, state: IvrState, key: str | None) -> tuple[IvrState, Step]:
    """Decide on the caller's key (``None``: no key before the timeout).

    A key pressed while the IVR listened counts as the menu's first answer.
    """
    state = IvrState(max(state.attempts, 1), state.path)
    event = key if key else "timeout"
    state = IvrState(state.attempts, (*state.path, event))
    if key and key in menu.options:
        option = menu.options[key]
        return state, _route_for_option(
            menu, key, option.route, option.queue, option.call_type, option.label
        )
    if key is None:
        # Silence: the caller may not have a keypad, or may be confused; a person helps best.
        return state, default_route(menu, "timeout")
    if state.attempts >= menu.menu.max_attempts:
        return state, default_route(menu, "invalid keys")
    return (
        IvrState(state.attempts + 1, state.path),
        Ask(("invalid", "menu"), menu.menu.timeout_seconds),
    )


def default_route(menu: Menu, reason: str) -> Route:
    """The general queue: for silence, confusion and any failure of our own."""
    return Route(
        RouteKind.QUEUE, menu.default_queue, menu.queues[menu.default_queue].priority, None, reason
    )


def emergency_route(menu: Menu, reason: str, key: str | None = None) -> Route:
    """The 110 transfer, for a key or for urgent words in the caller's speech."""
    return Route(
        RouteKind.EMERGENCY,
        None,
        menu.emergency_fallback_priority,
        "emergency",
        reason,
        key,
        "紧急求助",
    )


def _route_for_option(
    menu: Menu, key: str, kind: RouteKind, queue: str | None, call_type: str | None, label: str
) -> Route:
    if kind is RouteKind.EMERGENCY:
        return emergency_route(menu, f"key {key}", key)
    assert queue is not None  # guaranteed by MenuOption's validation
    return Route(kind, queue, menu.queues[queue].priority, call_type, f"key {key}", key, label)
