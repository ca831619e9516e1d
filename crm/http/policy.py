"""The access policy: one table naming, for every route of the CRM, who may call it.

A route is its method and path template (``("GET", "/api/orders/{ticket_id}")``; a WebSocket's
method is ``WEBSOCKET``). Its ``Rule`` says whether it is public (sign-in page, static files,
health), which staff roles may use it (signed in with the session cookie, or with a personal API
token where ``tokens`` allows ``Purpose.API``), and which token purposes may call it at all: the
FastAGI server's service token (``Purpose.CALL_EVENTS``) reaches only what the FastAGI server
calls. ``crm.http.deps.authorize``, one dependency of every route, enforces it; a route missing
from the table is refused (403), and the test suite fails for it
(tests/web/test_route_policy.py).

The table decides who may use a route at all. What depends on the object stays with the object:
a report's confidentiality and a unit's own orders (crm/orders/visibility.py), an agent's own
extension (``crm.domain.access.may_act_for_agent``), an alert's audience. Never put a role check
in a route beside this table: there would be two answers to one question.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, WebSocketRoute

from crm.domain.access import (
    MAY_ACT_FOR_OTHER_AGENTS,
    MAY_DISPATCH,
    MAY_EDIT_DIRECTORY,
    MAY_REGISTER,
    Purpose,
    Role,
)

WEBSOCKET = "WEBSOCKET"
Key = tuple[str, str]


@dataclass(frozen=True)
class Rule:
    """Who may call one route. ``refusal`` is what a refused role is told (Chinese)."""

    roles: frozenset[Role] = frozenset()
    tokens: frozenset[Purpose] = frozenset()
    public: bool = False
    refusal: str | None = None


def _roles(roles: Iterable[Role]) -> frozenset[Role]:
    return frozenset(roles)


def api(roles: Iterable[Role], refusal: str | None = None) -> Rule:
    """A REST route: a console session or a personal API token of one of the roles."""
    return Rule(_roles(roles), frozenset({Purpose.API}), refusal=refusal)


def console(roles: Iterable[Role]) -> Rule:
    """A console route or page: the session cookie of one of the roles only (no token)."""
    return Rule(_roles(roles))


PUBLIC = Rule(public=True)
EVERYONE = frozenset(Role)
# The people who handle callers and their orders (units, 质检 and admins do not).
HANDLERS = frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.REVIEWER, Role.HOTLINE_LEADER})
# Who oversees the floor: the audit log, the 台账 and the figures.
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.HOTLINE_LEADER, Role.SHIFT_LEADER, Role.ADMIN})
MOVES_AGENTS = MAY_ACT_FOR_OTHER_AGENTS | {Role.AGENT}
REPLIES = frozenset({Role.REVIEWER, Role.SHIFT_LEADER, Role.HOTLINE_LEADER, Role.UNIT})
# The consoles (crm/web/pages.py shows each to these roles only).
AGENT_CONSOLE = frozenset({Role.AGENT})
LEADER_CONSOLE = frozenset({Role.SHIFT_LEADER, Role.REVIEWER, Role.HOTLINE_LEADER})
SUPERVISOR_CONSOLE = frozenset({Role.SUPERVISOR, Role.HOTLINE_LEADER, Role.SHIFT_LEADER})
ADMIN_CONSOLE = frozenset({Role.ADMIN})
# A member unit's staff work their own orders (which ones: crm/orders/unit_inbox.py).
UNIT_CONSOLE = frozenset({Role.UNIT})
# Return visits are made by those who may answer callers (as POST /api/orders/{id}/return-visit).
VISIT_CONSOLE = HANDLERS
# A reviewer checks an order against its call: plays it and reads its transcript (a report's
# only if assigned to them: crm/calls/recordings.py), without the supervisors' recordings list.
PLAYERS = SUPERVISOR_CONSOLE | {Role.REVIEWER}
CALLBACK_LIST = frozenset({Role.AGENT, Role.SHIFT_LEADER, Role.SUPERVISOR, Role.HOTLINE_LEADER})
STAFF_LIST = frozenset({Role.ADMIN, Role.HOTLINE_LEADER})

NOT_YOUR_EXTENSION = "只能为本人分机签入、签出或示忙；代他人操作须为值班长、热线负责人或系统管理员"
DIRECTORY_EDITORS = "只有系统管理员或热线负责人可以修改目录。"
PLAN_KEEPER = "只有热线负责人可以管理骚扰号码名单和撰写应急事后总结。"


def _read(path: str) -> dict[Key, Rule]:
    """A public page or file: GET and the HEAD Starlette answers with it."""
    return {("GET", path): PUBLIC, ("HEAD", path): PUBLIC}


POLICY: dict[Key, Rule] = {
    # The FastAGI server: call events, with the service token only.
    ("POST", "/api/call-events"): Rule(tokens=frozenset({Purpose.CALL_EVENTS})),
    # The call path's read API.
    ("GET", "/api/calls"): api(EVERYONE),
    ("GET", "/api/calls/{uniqueid}"): api(EVERYONE),
    ("GET", "/api/calls/{uniqueid}/transcript"): api(EVERYONE),
    ("GET", "/api/transcripts"): api(EVERYONE),
    ("GET", "/api/callbacks"): api(EVERYONE),
    ("GET", "/api/agents"): api(EVERYONE),
    ("POST", "/api/agents/{extension}/login"): api(MOVES_AGENTS, NOT_YOUR_EXTENSION),
    ("POST", "/api/agents/{extension}/logout"): api(MOVES_AGENTS, NOT_YOUR_EXTENSION),
    ("POST", "/api/agents/{extension}/pause"): api(MOVES_AGENTS, NOT_YOUR_EXTENSION),
    ("POST", "/api/agents/{extension}/ready"): api(MOVES_AGENTS, NOT_YOUR_EXTENSION),
    # Work orders (reports and units' own orders: crm/orders/visibility.py).
    ("GET", "/api/orders"): api(EVERYONE),
    ("GET", "/api/orders/{ticket_id}"): api(EVERYONE),
    ("POST", "/api/orders/{ticket_id}/registration"): api(MAY_REGISTER),
    ("POST", "/api/orders/{ticket_id}/emergency"): api(HANDLERS),
    ("POST", "/api/orders/{ticket_id}/repeat"): api(MAY_REGISTER),
    ("POST", "/api/orders/{ticket_id}/dispatch"): api(MAY_DISPATCH),
    ("POST", "/api/orders/{ticket_id}/unit-reply"): api(REPLIES),
    ("POST", "/api/orders/{ticket_id}/answer"): api(HANDLERS),
    ("POST", "/api/orders/{ticket_id}/return-visit"): api(HANDLERS),
    ("POST", "/api/orders/{ticket_id}/archive"): api(HANDLERS),
    ("POST", "/api/orders/{ticket_id}/kb-answer"): api(HANDLERS),
    ("POST", "/api/orders/{ticket_id}/hand-over"): api(HANDLERS),
    ("GET", "/api/orders/{ticket_id}/complaint-units"): api(HANDLERS),
    # Knowledge base and directories: read by all, edited by their editors.
    ("GET", "/api/kb/search"): api(EVERYONE),
    ("GET", "/api/kb/articles"): api(EVERYONE),
    ("GET", "/api/kb/articles/{article_id}"): api(EVERYONE),
    ("POST", "/api/kb/articles"): api(MAY_EDIT_DIRECTORY, DIRECTORY_EDITORS),
    ("PUT", "/api/kb/articles/{article_id}"): api(MAY_EDIT_DIRECTORY, DIRECTORY_EDITORS),
    ("GET", "/api/units"): api(EVERYONE),
    ("POST", "/api/units"): api(MAY_EDIT_DIRECTORY, DIRECTORY_EDITORS),
    ("PUT", "/api/units/{unit_id}"): api(MAY_EDIT_DIRECTORY, DIRECTORY_EDITORS),
    ("GET", "/api/special-lines"): api(EVERYONE),
    ("GET", "/api/special-lines/suggest"): api(EVERYONE),
    ("POST", "/api/special-lines"): api(MAY_EDIT_DIRECTORY, DIRECTORY_EDITORS),
    ("PUT", "/api/special-lines/{line_id}"): api(MAY_EDIT_DIRECTORY, DIRECTORY_EDITORS),
    # The staff list names everyone and their roles: not for every role.
    ("GET", "/api/users"): api(STAFF_LIST),
    ("POST", "/api/users"): api({Role.ADMIN}, "只有系统管理员可以添加工作人员。"),
    # Reports, alerts (each for its audience) and the audit log.
    ("GET", "/api/ledger"): api(OVERSIGHT),
    ("GET", "/api/figures"): api(OVERSIGHT),
    ("GET", "/api/alerts"): api(EVERYONE),
    ("POST", "/api/alerts/{alert_id}/ack"): api(EVERYONE),
    ("GET", "/api/audit"): api(OVERSIGHT, "无权查看操作日志。"),
    # The call-emergency plan (docs/hotline-rules.md): the hotline leader keeps the blocklist
    # and writes the post-event summaries; the FastAGI server only asks about one number.
    ("GET", "/api/emergency-plan"): api(HANDLERS),
    ("POST", "/api/orders/{ticket_id}/emergency-summary"): api({Role.HOTLINE_LEADER}, PLAN_KEEPER),
    ("GET", "/api/emergency-summaries"): api(LEADER_CONSOLE),
    ("GET", "/api/blocklist"): api({Role.HOTLINE_LEADER}, PLAN_KEEPER),
    ("POST", "/api/blocklist"): api({Role.HOTLINE_LEADER}, PLAN_KEEPER),
    ("POST", "/api/blocklist/{entry_id}/remove"): api({Role.HOTLINE_LEADER}, PLAN_KEEPER),
    ("GET", "/api/blocklist/check"): Rule(tokens=frozenset({Purpose.CALL_EVENTS})),
    # 话务台.
    ("GET", "/web/api/agent"): console(AGENT_CONSOLE),
    ("GET", "/web/api/agent/call"): console(AGENT_CONSOLE),
    ("POST", "/web/api/agent/sign-in"): console(AGENT_CONSOLE),
    ("POST", "/web/api/agent/sign-out"): console(AGENT_CONSOLE),
    ("POST", "/web/api/agent/pause"): console(AGENT_CONSOLE),
    ("POST", "/web/api/tickets/{ticket_id}/register"): console(MAY_REGISTER),
    ("GET", "/web/api/kb"): console(EVERYONE),
    ("GET", "/web/api/units"): console(EVERYONE),
    ("GET", "/web/api/callbacks"): console(CALLBACK_LIST),
    ("POST", "/web/api/callbacks/{ticket_id}/call"): console(AGENT_CONSOLE),
    # 值班长.
    ("GET", "/web/api/leader/orders"): console(LEADER_CONSOLE),
    ("GET", "/web/api/leader/orders/{ticket_id}"): console(LEADER_CONSOLE),
    ("GET", "/web/api/leader/table"): console(LEADER_CONSOLE),
    ("POST", "/web/api/leader/orders/{ticket_id}/dispatch"): console(LEADER_CONSOLE),
    ("POST", "/web/api/leader/orders/{ticket_id}/redispatch"): console(LEADER_CONSOLE),
    ("POST", "/web/api/leader/orders/{ticket_id}/reply"): console(LEADER_CONSOLE),
    # 成员单位.
    ("GET", "/web/api/unit/orders"): console(UNIT_CONSOLE),
    ("GET", "/web/api/unit/orders/{ticket_id}"): console(UNIT_CONSOLE),
    ("POST", "/web/api/unit/orders/{ticket_id}/reply"): console(UNIT_CONSOLE),
    # 回访.
    ("GET", "/web/api/visits"): console(VISIT_CONSOLE),
    ("POST", "/web/api/visits/{ticket_id}/answer"): console(VISIT_CONSOLE),
    ("POST", "/web/api/visits/{ticket_id}/visit"): console(VISIT_CONSOLE),
    # 质检.
    ("GET", "/web/api/recordings"): console(SUPERVISOR_CONSOLE),
    ("GET", "/web/api/recordings/{uniqueid}/audio"): console(PLAYERS),
    ("GET", "/web/api/recordings/{uniqueid}/transcript"): console(PLAYERS),
    ("GET", "/web/api/callbacks/attempts/{attempt_id}/audio"): console(PLAYERS),
    ("POST", "/web/api/listen/{extension}"): console(SUPERVISOR_CONSOLE),
    # 系统管理.
    ("GET", "/web/api/admin/users"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/users"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/users/{username}/deactivate"): console(ADMIN_CONSOLE),
    ("GET", "/web/api/admin/sign-in-locks"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/sign-in-locks/release"): console(ADMIN_CONSOLE),
    ("GET", "/web/api/admin/tokens"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/tokens"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/tokens/{token_id}/revoke"): console(ADMIN_CONSOLE),
    ("GET", "/web/api/admin/documents"): console(ADMIN_CONSOLE),
    ("GET", "/web/api/admin/documents/{name}"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/documents/{name}"): console(ADMIN_CONSOLE),
    ("POST", "/web/api/admin/documents/{name}/versions/{version_id}/rollback"): console(
        ADMIN_CONSOLE
    ),
    # The pages and the WebSocket every console listens on.
    ("GET", "/web/"): console(EVERYONE),
    ("GET", "/web/agent"): console(AGENT_CONSOLE),
    ("GET", "/web/leader"): console(LEADER_CONSOLE),
    ("GET", "/web/supervisor"): console(SUPERVISOR_CONSOLE),
    ("GET", "/web/admin"): console(ADMIN_CONSOLE),
    ("GET", "/web/unit"): console(UNIT_CONSOLE),
    ("GET", "/web/visits"): console(VISIT_CONSOLE),
    (WEBSOCKET, "/web/ws"): console(EVERYONE),
    # Public: signing in and out, the way in, static files, health, metrics (aggregate figures,
    # no caller's data) and the API's own documentation.
    ("GET", "/web/login"): PUBLIC,
    ("POST", "/web/login"): PUBLIC,
    ("POST", "/web/logout"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    **_read("/web/static/{path}"),
    **_read("/openapi.json"),
    **_read("/docs"),
    **_read("/docs/oauth2-redirect"),
    **_read("/redoc"),
}


def route_keys(route: BaseRoute | object) -> list[Key]:
    """The table keys one route of the application answers to."""
    path = str(getattr(route, "path_format", None) or getattr(route, "path", ""))
    if isinstance(route, Mount):
        return [("GET", path), ("HEAD", path)]
    methods = getattr(route, "methods", None)
    if methods is None or isinstance(route, WebSocketRoute):
        return [(WEBSOCKET, path)]
    return [(method, path) for method in sorted(methods)]


def application_routes(app: FastAPI) -> Iterator[object]:
    """Every route of the application, those of included routers and mounts alike (FastAPI
    keeps an included router as one entry of ``app.routes`` and resolves it lazily)."""
    from fastapi import routing

    contexts = getattr(routing, "iter_route_contexts", None)
    if contexts is None:
        yield from app.routes
        return
    for context in contexts(app.routes):
        yield context.route if isinstance(context.route, Mount) else context


def application_keys(app: FastAPI) -> set[Key]:
    """The table keys of every route the application serves."""
    return {key for route in application_routes(app) for key in route_keys(route)}


def unlisted(app: FastAPI) -> set[Key]:
    """Routes of the application the table says nothing about (they are refused)."""
    return application_keys(app) - POLICY.keys()


def console_roles(path: str) -> frozenset[Role]:
    """Who may open a console page (the navigation bar shows it to them)."""
    return POLICY[("GET", path)].roles
