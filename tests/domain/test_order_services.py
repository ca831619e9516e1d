"""The services apply the rules to real rows, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callmodel.calltypes import CallType, TicketStatus
from crm.domain import messages as msg
from crm.domain.errors import Forbidden, RuleViolation
from crm.models.calls import Alert
from crm.models.knowledge import KbAnswer
from crm.models.workorders import AuditEntry, TicketDetail, WorkOrder
from crm.orders import services as orders
from crm.orders.services import RegistrationForm
from tests.helpers import AGENT, HOTLINE_LEADER, LEADER, REVIEWER, cn, new_ticket, seed, unit

S = TicketStatus


@pytest.fixture
def db(session: Session) -> Session:
    seed(session)
    return session


def audit_actions(db: Session, ticket_id: int) -> list[tuple[str, str]]:
    rows = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket_id))
        .order_by(AuditEntry.id)
    )
    return [(r.actor, r.action) for r in rows]


def test_help_request_full_lifecycle_with_deadlines_and_audit(db: Session) -> None:
    t = new_ticket(db, "13812345678", cn(9, 30, 10))
    d = orders.register_ticket(
        db, t.id, RegistrationForm(CallType.HELP, "井盖丢失", contact_number="13812345678"), AGENT
    )
    assert d.reply_due == cn(10, 1, 10)  # 24 h
    assert d.dispatch_due == cn(9, 30, 12)  # 2 h
    assert d.unit_feedback_due == cn(10, 1, 6)  # 20 h
    water = unit(db, "city-water")
    wo = orders.dispatch(db, t.id, water.id, LEADER, now=cn(9, 30, 11))
    assert wo.notes[-3:] == list(msg.DISPATCH_NOTES)
    assert wo.feedback_due == cn(10, 1, 6)
    orders.record_unit_reply(db, t.id, "已补装井盖", LEADER, now=cn(9, 30, 18))
    orders.answer_caller(db, t.id, "已补装井盖", LEADER, now=cn(9, 30, 19))
    orders.return_visit(db, t.id, 5, True, AGENT, now=cn(10, 8, 9))
    orders.archive(db, t.id, LEADER, now=cn(10, 8, 10))
    db.commit()
    assert t.status == S.ARCHIVED
    assert audit_actions(db, t.id) == [
        ("agent1", "register"),
        ("shift1", "dispatch"),
        ("shift1", "unit_reply"),
        ("shift1", "answer_caller"),
        ("agent1", "return_visit"),
        ("shift1", "archive"),
    ]


def test_emergency_is_archived_at_once_and_leader_alerted(db: Session) -> None:
    t = new_ticket(db, "13900000001", cn(10, 2, 3))
    orders.archive_emergency(db, t.id, AGENT, location="新城区海拉尔东街12号", now=cn(10, 2, 3, 1))
    db.commit()
    assert t.status == S.ARCHIVED and t.call_type == CallType.EMERGENCY
    detail = db.get(TicketDetail, t.id)
    assert detail is not None and detail.location == "新城区海拉尔东街12号"
    alerts = db.scalars(select(Alert).where(Alert.ticket_id == t.id)).all()
    # The leader once; the call-emergency plan's handling group too.
    assert [(a.audience, a.kind) for a in alerts] == [
        ("hotline_leader", "emergency_reported"),
        ("shift_leader", "plan_emergency"),
    ]


def test_help_without_contact_becomes_suggestion(db: Session) -> None:
    t = new_ticket(db, "", cn(9, 30, 10))
    d = orders.register_ticket(db, t.id, RegistrationForm(CallType.HELP, "路灯不亮"), AGENT)
    assert d.call_type == CallType.SUGGESTION
    assert d.tell_caller == [msg.HELP_WITHOUT_CONTACT]
    assert d.archive_due == cn(10, 1, 10)


def test_complaint_about_bank_is_invalid_and_archived(db: Session) -> None:
    t = new_ticket(db, "13800000002", cn(9, 30, 10))
    bank = unit(db, "bank-icbc")
    form = RegistrationForm(
        CallType.COMPLAINT,
        "柜台排队久",
        contact_number="13800000002",
        target="柜员",
        body_unit_id=bank.id,
    )
    d = orders.register_ticket(db, t.id, form, AGENT)
    assert (d.call_type, t.status, d.refer_number) == (CallType.INVALID, S.ARCHIVED, "95588")


def test_complaint_without_target_is_not_forwardable_and_gets_number(db: Session) -> None:
    t = new_ticket(db, "13800000003", cn(9, 30, 10))
    housing = unit(db, "city-housing")
    form = RegistrationForm(
        CallType.COMPLAINT, "办事拖拉", contact_number="13800000003", body_unit_id=housing.id
    )
    d = orders.register_ticket(db, t.id, form, AGENT)
    assert not d.forwardable and t.status == S.ARCHIVED
    assert "6212345" in d.tell_caller[0]


def test_report_confidential_reads_audited(db: Session) -> None:
    t = new_ticket(db, "13800000004", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.REPORT,
        "某科长收受红包",
        contact_number="13800000004",
        target="某科长",
        assigned_reviewer="li",
    )
    orders.register_ticket(db, t.id, form, AGENT)
    assert db.scalars(select(Alert.audience).where(Alert.ticket_id == t.id)).all() == [
        "hotline_leader"
    ]
    with pytest.raises(Forbidden):
        orders.read_ticket(db, t.id, LEADER)
    orders.read_ticket(db, t.id, HOTLINE_LEADER)
    orders.read_ticket(db, t.id, REVIEWER)
    actions = audit_actions(db, t.id)
    assert ("shift1", "read_denied") in actions
    assert ("boss", "read_confidential") in actions
    assert ("li", "read_confidential") in actions


def test_special_line_referral_is_consultation(db: Session) -> None:
    t = new_ticket(db, "13800000005", cn(9, 30, 10))
    form = RegistrationForm(CallType.COMPLAINT, "楼下饭店油烟", special_line_number="12369")
    d = orders.register_ticket(db, t.id, form, AGENT)
    assert (d.call_type, d.refer_number, t.status) == (CallType.CONSULTATION, "12369", S.ARCHIVED)


def _dispatched_help(db: Session, caller: str) -> int:
    t = new_ticket(db, caller, cn(9, 30, 10))
    orders.register_ticket(
        db, t.id, RegistrationForm(CallType.HELP, "水管爆裂", contact_number=caller), AGENT
    )
    orders.dispatch(db, t.id, unit(db, "city-water").id, LEADER, now=cn(9, 30, 11))
    return t.id


def test_chase_within_limit_is_invalid_with_note_and_no_dispatch(db: Session) -> None:
    first = _dispatched_help(db, "13800000006")
    again = new_ticket(db, "+86 138 0000 0006", cn(10, 1, 9))
    decision = orders.handle_repeat_call(db, again.id, AGENT)
    prior = orders.get_ticket(db, first)
    assert decision.is_chase
    assert again.previous_ticket_id == first
    assert again.call_type == CallType.INVALID and again.status == S.ARCHIVED
    assert again.handling_note == f"催单：定单{prior.number}"
    assert db.scalars(select(WorkOrder).where(WorkOrder.ticket_id == again.id)).all() == []


def test_repeat_after_deadline_redispatches_with_three_notes(db: Session) -> None:
    first = _dispatched_help(db, "13800000007")
    again = new_ticket(db, "13800000007", cn(10, 1, 11))
    decision = orders.handle_repeat_call(db, again.id, LEADER)
    assert decision.kind == "redispatch"
    assert again.previous_ticket_id == first
    assert again.status == S.DISPATCHED and again.call_type == CallType.HELP
    wo = db.scalars(select(WorkOrder).where(WorkOrder.ticket_id == again.id)).one()
    assert wo.unit_id == unit(db, "city-water").id
    assert wo.notes[0].startswith("重派")
    assert wo.notes[-3:] == list(msg.DISPATCH_NOTES)


def test_repeat_by_agent_waits_for_shift_leader(db: Session) -> None:
    _dispatched_help(db, "13800000008")
    again = new_ticket(db, "13800000008", cn(10, 1, 11))
    assert orders.handle_repeat_call(db, again.id, AGENT, caller_unhappy=True).kind == "redispatch"
    assert again.status == S.REGISTERED
    wo = orders.dispatch(db, again.id, unit(db, "city-water").id, LEADER)
    assert wo.notes[0].startswith("重派")


def test_simple_work_order(db: Session) -> None:
    t = new_ticket(db, "13800000009", cn(9, 30, 10))
    orders.register_ticket(
        db, t.id, RegistrationForm(CallType.CONSULTATION, "国庆期间社保大厅是否上班"), AGENT
    )
    with pytest.raises(RuleViolation):
        orders.dispatch(db, t.id, unit(db, "city-hrss").id, LEADER, simple_reason="")
    wo = orders.dispatch(db, t.id, unit(db, "city-hrss").id, LEADER, simple_reason="来电人急需")
    assert wo.kind == "simple"
    with pytest.raises(Forbidden):
        orders.record_unit_reply(db, t.id, "10月8日起正常上班", AGENT, answered_by="王海燕")
    orders.record_unit_reply(db, t.id, "10月8日起正常上班", REVIEWER, answered_by="王海燕")
    alerts = db.scalars(select(Alert).where(Alert.ticket_id == t.id)).all()
    assert [a.kind for a in alerts] == ["simple_order_answered"]
    assert t.status == S.REPLIED


def test_answer_from_knowledge_base_records_article(db: Session) -> None:
    from crm.knowledge.services import search

    t = new_ticket(db, "13800000010", cn(9, 30, 10))
    orders.register_ticket(db, t.id, RegistrationForm(CallType.CONSULTATION, "补办身份证"), AGENT)
    article = search(db, "身份证")[0].article
    orders.answer_from_kb(db, t.id, article.id, AGENT)
    assert t.status == S.ANSWERED
    answer = db.scalars(select(KbAnswer).where(KbAnswer.ticket_id == t.id)).one()
    assert answer.article_id == article.id


def test_agent_cannot_dispatch(db: Session) -> None:
    t = new_ticket(db, "13800000011", cn(9, 30, 10))
    orders.register_ticket(
        db, t.id, RegistrationForm(CallType.HELP, "x", contact_number="13800000011"), AGENT
    )
    with pytest.raises(Forbidden):
        orders.dispatch(db, t.id, unit(db, "city-water").id, AGENT)


def test_emergency_already_archived_by_call_path_gets_its_record_once(db: Session) -> None:
    t = new_ticket(db, "13900000002", cn(10, 2, 3))
    t.status, t.call_type, t.archived_at = S.ARCHIVED, CallType.EMERGENCY, cn(10, 2, 3, 1)
    orders.archive_emergency(db, t.id, orders.SYSTEM, location="车站广场")
    detail = db.get(TicketDetail, t.id)
    assert detail is not None and detail.call_type == "emergency" and detail.location == "车站广场"
    assert t.status == S.ARCHIVED and t.archived_at == cn(10, 2, 3, 1)
    assert db.scalars(select(Alert).where(Alert.ticket_id == t.id)).all() == []


def test_new_ticket_numbers_share_the_call_path_counter(db: Session) -> None:
    from crm.orders.numbering import next_ticket_number

    assert next_ticket_number(db, cn(11, 28, 9)) == "20261128-0001"
    assert next_ticket_number(db, cn(11, 28, 23, 59)) == "20261128-0002"
    assert next_ticket_number(db, cn(11, 29, 0, 1)) == "20261129-0001"


def test_emergency_whose_110_dial_failed_is_dispatched_with_15_minutes(db: Session) -> None:
    t = new_ticket(db, "13900000003", cn(10, 3, 20))
    assert t.call is not None
    t.call.route, t.call.emergency_dial_status = "emergency", "NOANSWER"
    d = orders.register_ticket(
        db,
        t.id,
        RegistrationForm(CallType.EMERGENCY, "燃气泄漏", contact_number="13900000003"),
        AGENT,
    )
    assert t.status == S.REGISTERED and d.forwardable
    assert d.unit_feedback_due == cn(10, 3, 20, 15)
    wo = orders.dispatch(db, t.id, unit(db, "city-urban").id, LEADER)
    assert wo.notes[-3:] == list(msg.EMERGENCY_DISPATCH_NOTES)
    kinds = db.scalars(select(Alert.kind).where(Alert.ticket_id == t.id)).all()
    assert kinds == ["emergency_dispatch", "plan_emergency"]


def test_abnormal_fraud_call_is_closed_with_warning(db: Session) -> None:
    t = new_ticket(db, "13900000004", cn(10, 3, 20))
    form = RegistrationForm(CallType.CONSULTATION, "安全账户转账", abnormal="fraud")
    d = orders.register_ticket(db, t.id, form, AGENT)
    assert (d.call_type, t.status, d.tell_caller) == (
        CallType.INVALID,
        S.ARCHIVED,
        [msg.FRAUD_WARNING],
    )
    with pytest.raises(RuleViolation):
        orders.register_ticket(
            db,
            new_ticket(db, "1", cn(10, 3)).id,
            RegistrationForm(CallType.INVALID, "x", abnormal="x"),
            AGENT,
        )


def test_caller_is_told_the_reply_deadline(db: Session) -> None:
    t = new_ticket(db, "13800000012", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.COMPLAINT, "窗口推诿", contact_number="13800000012", target="窗口工作人员"
    )
    d = orders.register_ticket(db, t.id, form, AGENT)
    assert d.tell_caller == ["我们将在10月12日10:00前答复您。"]  # 4 working days, Oct 10 worked


def test_repeat_caller_found_by_registered_contact_from_another_phone(db: Session) -> None:
    t = new_ticket(db, "04716250001", cn(9, 30, 10))  # office landline
    orders.register_ticket(
        db, t.id, RegistrationForm(CallType.HELP, "漏水", contact_number="13800000013"), AGENT
    )
    orders.dispatch(db, t.id, unit(db, "city-water").id, LEADER)
    again = new_ticket(db, "13800000013", cn(9, 30, 15))  # the mobile given as contact
    assert orders.latest_prior_ticket(db, again) is t
    assert orders.latest_prior_ticket(db, new_ticket(db, "13800009999", cn(9, 30, 16))) is None


def test_report_is_handled_only_by_leader_or_assigned_reviewer(db: Session) -> None:
    t = new_ticket(db, "13800000014", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.REPORT,
        "违规发放补贴",
        contact_number="13800000014",
        target="某主任",
        assigned_reviewer="li",
    )
    orders.register_ticket(db, t.id, form, AGENT)
    efficiency = unit(db, "city-efficiency").id
    with pytest.raises(Forbidden):
        orders.dispatch(db, t.id, efficiency, LEADER)
    wo = orders.dispatch(db, t.id, efficiency, HOTLINE_LEADER)
    assert wo.feedback_due is None  # discipline bodies reply to the caller directly
    orders.record_unit_reply(db, t.id, "已立案调查", REVIEWER)
    assert t.status == S.REPLIED


def test_a_report_goes_only_to_a_discipline_or_judicial_body(db: Session) -> None:
    t = new_ticket(db, "13800000024", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.REPORT, "违规收费", contact_number="13800000024", target="某科长"
    )
    orders.register_ticket(db, t.id, form, AGENT)
    with pytest.raises(RuleViolation) as refused:
        orders.dispatch(db, t.id, unit(db, "city-housing").id, HOTLINE_LEADER)
    assert refused.value.rule == "report_recipient"
    assert "市住房和城乡建设局" in refused.value.message
    assert t.status == S.REGISTERED
    orders.dispatch(db, t.id, unit(db, "city-procuratorate").id, HOTLINE_LEADER)
    assert t.status == S.DISPATCHED


def test_hand_over_needs_a_record(db: Session) -> None:
    t = new_ticket(db, "13800000015", cn(9, 30, 10))
    orders.register_ticket(db, t.id, RegistrationForm(CallType.CONSULTATION, "x"), AGENT)
    with pytest.raises(RuleViolation):
        orders.hand_over(db, t.id, "agent2", " ", AGENT)
    d = orders.hand_over(db, t.id, "agent2", "下班交接，待回拨", AGENT)
    assert d.taken_by == "agent2" and "agent1" in d.notes[-1]
    assert ("agent1", "hand_over") in audit_actions(db, t.id)


@pytest.mark.parametrize(
    ("about", "escalate", "serious", "expected"),
    [
        ("xc-housing", False, False, ["新城区住房和城乡建设局"]),
        ("xc-housing", True, False, ["市住房和城乡建设局"]),
        ("city-housing", False, True, ["市住房和城乡建设局", "市纪委监委效能监察室"]),
    ],
)
def test_complaint_units(
    db: Session, about: str, escalate: bool, serious: bool, expected: list[str]
) -> None:
    t = new_ticket(db, "13800000016", cn(9, 30, 10))
    form = RegistrationForm(
        CallType.COMPLAINT,
        "推诿",
        contact_number="13800000016",
        target="科员",
        body_unit_id=unit(db, about).id,
    )
    orders.register_ticket(db, t.id, form, AGENT)
    units = orders.complaint_units(db, t.id, escalate=escalate, serious=serious)
    assert [u.name for u in units] == expected
