"""Who may see what: staff roles and the confidentiality of whistle-blowing reports (举报).

Reports go first to the hotline leader and are visible only to the hotline leader, the
back-office reviewer assigned to the order and the discipline-inspection or judicial body
(a unit that ``handles_reports``) it was dispatched to, which replies to the caller directly
(docs/hotline-rules.md, "Whistle-blowing report"); every read of one is written to the audit log
(``read_must_be_audited``). Callers' identities are masked for everyone who does not handle the
order (``may_see_caller``). Pure functions: the API asks them, the audit service records.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from callmodel.calltypes import CallType


class Purpose(StrEnum):
    """What a bearer token may be used for; the access policy (crm/http/policy.py) names, for
    each route, the purposes that may call it."""

    CALL_EVENTS = "call_events"  # the FastAGI server's service token: call events only
    API = "api"  # a personal API token: the REST API, as exactly its user


class Role(StrEnum):
    AGENT = "agent"  # 话务员
    SHIFT_LEADER = "shift_leader"  # 值班长
    REVIEWER = "reviewer"  # 后台工单审核人员
    HOTLINE_LEADER = "hotline_leader"  # 热线负责人
    UNIT = "unit"  # 成员单位
    SUPERVISOR = "supervisor"  # 质检 / 班长
    ADMIN = "admin"  # 系统管理员

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.AGENT: "话务员",
    Role.SHIFT_LEADER: "值班长",
    Role.REVIEWER: "后台工单审核人员",
    Role.HOTLINE_LEADER: "热线负责人",
    Role.UNIT: "成员单位",
    Role.SUPERVISOR: "质检",
    Role.ADMIN: "系统管理员",
}

# Roles allowed to perform each kind of write (first-contact agents register; leaders dispatch …).
MAY_REGISTER = frozenset({Role.AGENT, Role.SHIFT_LEADER})
MAY_DISPATCH = frozenset({Role.SHIFT_LEADER})
MAY_REVIEW = frozenset({Role.REVIEWER, Role.SHIFT_LEADER})
MAY_EDIT_DIRECTORY = frozenset({Role.ADMIN, Role.HOTLINE_LEADER})
# Who may sign another agent in or out of the queues, or pause them (the floor's supervisors).
MAY_ACT_FOR_OTHER_AGENTS = frozenset({Role.SHIFT_LEADER, Role.HOTLINE_LEADER, Role.ADMIN})


@dataclass(frozen=True)
class Viewer:
    username: str
    roles: frozenset[Role]
    unit_id: int | None = None


@dataclass(frozen=True)
class OrderVisibility:
    call_type: CallType
    assigned_reviewer: str | None = None
    taken_by: str | None = None
    unit_id: int | None = None
    # The order's unit is a discipline-inspection or judicial body (``Unit.handles_reports``).
    unit_handles_reports: bool = False


def can_read(viewer: Viewer, order: OrderVisibility) -> bool:
    """Reports: hotline leader, the assigned reviewer and the report body it went to. Others:
    hotline staff, own unit."""
    if order.call_type is CallType.REPORT:
        return (
            Role.HOTLINE_LEADER in viewer.roles
            or (Role.REVIEWER in viewer.roles and viewer.username == order.assigned_reviewer)
            or (
                Role.UNIT in viewer.roles
                and order.unit_handles_reports
                and viewer.unit_id is not None
                and viewer.unit_id == order.unit_id
            )
        )
    if viewer.roles - {Role.UNIT}:
        return True
    return viewer.unit_id is not None and viewer.unit_id == order.unit_id


def may_act_for_agent(viewer: Viewer, own_extension: str | None, extension: str) -> bool:
    """Queue sign-in, sign-out and pause are an agent's own business: an agent acts on their own
    desk extension only; shift leaders, the hotline leader and admins act for any agent. Other
    roles (units, 质检, reviewers) never move agents in or out of the queues."""
    if viewer.roles & MAY_ACT_FOR_OTHER_AGENTS:
        return True
    return Role.AGENT in viewer.roles and own_extension is not None and own_extension == extension


def read_must_be_audited(order: OrderVisibility) -> bool:
    return order.call_type is CallType.REPORT


# The audit of who opened, searched or was refused a report: itself confidential (it says which
# tickets are reports and who handles them), so only the hotline leader reads it.
CONFIDENTIAL_AUDIT_ACTIONS = frozenset({"read_confidential", "read_denied", "search_confidential"})
