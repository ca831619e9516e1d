"""Pydantic request and response bodies of the work-order API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from callmodel.calltypes import CallType
from callmodel.fields import (
    Code,
    Id,
    Key,
    Label,
    LongText,
    Name,
    OptionalCode,
    OptionalName,
    OptionalPhone,
    OptionalPlace,
    OptionalServiceNumber,
    OptionalText,
    OptionalTitle,
    Place,
    ServiceNumber,
    Text,
    Title,
)
from crm.domain import messages as msg
from crm.domain.access import Role


class RegistrationIn(BaseModel):
    call_type: CallType
    question: Text = Field(description="咨询或反映的问题")
    contact_number: OptionalPhone = None
    caller_name: OptionalName = None
    caller_address: OptionalPlace = None
    location: OptionalPlace = None
    target: OptionalTitle = Field(None, description="投诉/举报对象")
    body_unit_id: Id | None = Field(None, description="所涉单位")
    special_line_number: OptionalServiceNumber = Field(None, description="告知来电人拨打的专线")
    reply_requested: bool = False
    assigned_reviewer: OptionalName = Field(None, description="举报件指定审核人员")
    transferred_to_110: bool | None = Field(None, description="紧急求助是否已转110；空：按通话记录")
    general_info: bool = Field(False, description="一般社会信息，告知拨打114")
    about_sms: bool = Field(False, description="咨询部门短信")
    all_channels_tried: bool = Field(False, description="投诉人已穷尽各渠道，仅做安抚")
    abnormal: Literal["fraud", "harassment"] | None = Field(None, description="异常来电：诈骗/骚扰")
    repair_category: OptionalCode = Field(
        None, description="求助报修类别（路灯、供水、井盖…），同一地点同类重复报修提醒领导回访"
    )

    @model_validator(mode="after")
    def _emergency_has_a_location(self) -> RegistrationIn:
        """docs/hotline-rules.md, Emergency: record the caller's contact and the incident
        location; the API asks for the location as the console and the emergency archive do."""
        if self.call_type is CallType.EMERGENCY and self.location is None:
            raise ValueError(msg.EMERGENCY_LOCATION_REQUIRED)
        return self


class DispatchIn(BaseModel):
    unit_id: Id
    simple_reason: OptionalText = Field(None, description="简易工单原因；为空则为普通工单")


class UnitReplyIn(BaseModel):
    content: Text
    answered_by: OptionalName = Field(None, description="简易工单：单位接听人")


class AnswerIn(BaseModel):
    result: Text


class VisitIn(BaseModel):
    satisfaction: int = Field(ge=1, le=5)
    resolved: bool
    comment: OptionalText = None


class KbAnswerIn(BaseModel):
    article_id: Id


class RepeatIn(BaseModel):
    previous_ticket_id: Id | None = None
    caller_unhappy: bool = False


class HandOverIn(BaseModel):
    to_username: Name
    note: Text = Field(description="交接记录")


class EmergencyIn(BaseModel):
    """An emergency recorded by a person: the rules ask for the caller's contact and the
    incident's location (docs/hotline-rules.md, Emergency), as the agent console does."""

    location: Place
    contact_number: OptionalPhone = None


class DeadlineOut(BaseModel):
    due: datetime
    seconds_left: int
    overdue: bool


class ReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    content: str
    answered_by: str | None
    recorded_by: str
    replied_at: datetime


class WorkOrderOut(BaseModel):
    id: int
    unit_id: int
    unit_name: str
    kind: str
    reason: str | None
    notes: list[str]
    dispatched_by: str
    dispatched_at: datetime
    feedback_due: datetime | None
    replied_at: datetime | None
    replies: list[ReplyOut]


class OrderOut(BaseModel):
    ticket_id: int
    number: str
    status: str
    status_label: str
    call_type: CallType
    call_type_label: str
    caller_number: str
    contact_number: str | None
    question: str
    location: str | None
    target: str | None
    forwardable: bool
    confidential: bool
    reply_requested: bool
    simple: bool
    refer_number: str | None
    rules: list[str]
    notes: list[str]
    tell_caller: list[str]
    deadlines: dict[str, DeadlineOut]
    deadlines_provisional: bool
    previous_ticket_id: int | None
    result: str | None
    taken_by: str
    work_orders: list[WorkOrderOut]
    repair_category: str | None = None
    repeat_repair_of: str | None = Field(None, description="重复报修：所重复的原定单号")


class RepeatOut(BaseModel):
    kind: str
    call_type: CallType | None
    previous_number: str | None
    dispatched: bool
    notes: list[str]
    order: OrderOut | None


class UnitIn(BaseModel):
    code: Code
    name: Title
    level: Literal["city", "district"] = "city"
    district: OptionalName = None
    contact_person: OptionalName = None
    contact_number: OptionalPhone = None
    complaint_number: OptionalPhone = None
    is_member: bool = True
    is_government: bool = True
    handles_reports: bool = Field(False, description="纪检监察或司法部门：举报件只能转交此类单位")
    supervisor_id: Id | None = None
    active: bool = True


class UnitOut(UnitIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class SpecialLineIn(BaseModel):
    number: ServiceNumber
    name: Name
    scope: Label | Literal[""] = ""
    keywords: list[Name] = Field([], max_length=50)
    active: bool = True


class SpecialLineOut(SpecialLineIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class ArticleIn(BaseModel):
    slug: Key
    title: Label
    body: LongText
    category: Code | Literal[""] = ""
    unit_id: Id | None = None
    active: bool = True


class ArticleOut(ArticleIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    updated_by: str
    updated_at: datetime


class SearchHitOut(BaseModel):
    article: ArticleOut
    score: float


class UserIn(BaseModel):
    username: Name
    display_name: Name
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    unit_id: Id | None = None
    active: bool = True


class UserOut(UserIn):
    model_config = ConfigDict(from_attributes=True)
    id: int


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, object]


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    audience: str
    ticket_id: int | None
    message: str
    created_at: datetime
