"""The call-emergency plan (来电应急预案) as data: steps and alerts per kind of abnormal call.

docs/hotline-rules.md, "Call-emergency plan": an abnormal call is judged fraud (诈骗), harassment
(骚扰) or emergency help (紧急求助); each has its steps; then the handling group is told, then
leadership; after the event a written summary (cause, improvements). The plan is a site file
(``config/emergency-plan.yaml``), checked when it is read, so a typo in a role or a missing kind
stops the CRM at start instead of silently alerting nobody. This module only reads and decides;
it never touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from callmodel.calltypes import CallType
from callmodel.yaml_files import yaml_mapping
from crm.domain.access import Role

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "emergency-plan.yaml"

PlanKind = Literal["fraud", "harassment", "emergency"]
KINDS: tuple[PlanKind, ...] = ("fraud", "harassment", "emergency")
# The classification rules (crm/domain/classification.py) that judge a call fraud or harassment.
RULE_KINDS: dict[str, PlanKind] = {
    "abnormal_call_fraud": "fraud",
    "abnormal_call_harassment": "harassment",
}
# Who is the handling group and who is leadership, for the alert's wording.
STAGE_LABELS = {Role.SHIFT_LEADER: "处置组", Role.HOTLINE_LEADER: "领导"}


class KindPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=32)
    steps: tuple[str, ...] = Field(min_length=1)
    # In order: the handling group first, then leadership.
    alert: tuple[Role, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_role_once(self) -> Self:
        if len(set(self.alert)) != len(self.alert):
            raise ValueError(f"应急预案“{self.label}”的通知对象有重复")
        if any(not step.strip() for step in self.steps):
            raise ValueError(f"应急预案“{self.label}”有空的处置步骤")
        return self


class BlocklistRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_days: int = Field(30, ge=1, le=3650)
    max_days: int = Field(365, ge=1, le=3650)

    @model_validator(mode="after")
    def _default_within_max(self) -> Self:
        if self.default_days > self.max_days:
            raise ValueError("骚扰号码名单的默认期限不能超过最长期限")
        return self


class EmergencyPlan(BaseModel):
    """A checked plan: every kind of the rules is there, each alerting someone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kinds: dict[PlanKind, KindPlan]
    blocklist: BlocklistRules = BlocklistRules()

    @model_validator(mode="after")
    def _every_kind(self) -> Self:
        missing = [k for k in KINDS if k not in self.kinds]
        if missing:
            raise ValueError(f"应急预案缺少：{'、'.join(missing)}")
        return self

    def for_kind(self, kind: PlanKind) -> KindPlan:
        return self.kinds[kind]

    def blocklist_expiry(self, now: datetime, days: int | None) -> datetime:
        """When a blocklist entry added now ends: the plan's default, never past its maximum."""
        wanted = self.blocklist.default_days if days is None else days
        if not 1 <= wanted <= self.blocklist.max_days:
            raise ValueError(f"期限须为 1 至 {self.blocklist.max_days} 天")
        return now + timedelta(days=wanted)


def parse_plan(text: str) -> EmergencyPlan:
    """Validate plan YAML text; raises ``ValueError`` saying what is wrong, in Chinese."""
    return EmergencyPlan.model_validate(yaml_mapping(text, "应急预案文件"))


def load_plan(path: Path = DEFAULT_FILE) -> EmergencyPlan:
    return parse_plan(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_plan() -> EmergencyPlan:
    """The shipped plan, read once per process."""
    return load_plan()


def judged_kind(
    call_type: CallType | str | None, rules: Iterable[str] = (), route: str | None = None
) -> PlanKind | None:
    """Which kind of the plan a ticket was judged, if any: the classification's fraud or
    harassment rule, or an emergency (registered so, or routed to 110 by the IVR)."""
    for rule in rules:
        if rule in RULE_KINDS:
            return RULE_KINDS[rule]
    if call_type == CallType.EMERGENCY or route == "emergency":
        return "emergency"
    return None


def alert_message(plan: KindPlan, role: Role, ticket_number: str, caller: str | None) -> str:
    """What one audience is told (Chinese): the kind, the ticket, the steps to follow."""
    stage = STAGE_LABELS.get(role, role.label)
    steps = "；".join(plan.steps)
    who = f"（来电 {caller}）" if caller else ""
    return f"应急预案·{plan.label} {ticket_number}{who}：报{stage}。处置步骤：{steps}。"
