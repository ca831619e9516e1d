"""The harassment blocklist in the IVR: which caller hears the blocklist message instead.

docs/hotline-rules.md, "Call-emergency plan": junk and harassing calls may be hung up and
recorded. The blocklist is applied only once the caller's route is known and is not 110: an
urgent call is never screened, and a caller who presses the emergency key while the blocklist
message plays still reaches 110. A lookup that failed or did not answer in time (``None``) lets
the call through. Pure: the FastAGI handler asks the CRM and plays what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.decision import IvrState, Route, emergency_route
from ivr.menu import Menu, RouteKind

BLOCKLIST_PROMPT = "blocklisted"
BLOCKED_EVENT = "blocklisted"


@dataclass(frozen=True)
class Refuse:
    """Play these prompts (an emergency key cuts them short and reaches 110), then hang up.
    The call has been recorded since it was answered; ``reason`` goes to the ticket."""

    prompts: tuple[str, ...]
    reason: str


def screen(state: IvrState, route: Route, blocked: bool | None) -> tuple[IvrState, Route | Refuse]:
    """The route stands unless the caller is listed and did not choose 110.

    ``blocked`` is the lookup's answer: True listed, False not, None unknown (the CRM is down,
    slow, or answered nonsense).
    """
    if route.is_urgent:
        # Never screened: an urgent call always reaches 110, listed or not.
        return state, route
    if blocked is not True:
        # Fail open: a lookup we could not make never costs a citizen the hotline.
        return state, route
    return (
        IvrState(state.attempts, (*state.path, BLOCKED_EVENT)),
        Refuse((BLOCKLIST_PROMPT,), "blocklist"),
    )


def after_refusal(menu: Menu, state: IvrState, key: str | None) -> tuple[IvrState, Route | None]:
    """A key pressed during the blocklist message: the emergency key still reaches 110;
    anything else (or nothing) ends the call (``None``)."""
    if key is None:
        return state, None
    state = IvrState(state.attempts, (*state.path, key))
    option = menu.options.get(key)
    if option is not None and option.route is RouteKind.EMERGENCY:
        return state, emergency_route(menu, f"key {key}", key)
    return state, None
