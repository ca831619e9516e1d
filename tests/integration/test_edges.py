"""The hotline's doors against an attacker, on the real Asterisk, sipp, AMI and FastAGI: each
test performs an attack that once worked and asserts that it no longer does, while the call
path (key 1 → 110 above all) keeps working."""

from __future__ import annotations

import asyncio
import pwd
import re
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

import httpx
from sqlalchemy import select

from crm import db
from crm.accounts.services import set_account
from crm.bridge.ami import AmiBridge, AmiError
from crm.domain.access import Role
from crm.models import AuditEntry, CallbackAttempt, Ticket
from hotline.asterisk import AsteriskProcess, asterisk_ids
from hotlinectl import services
from tests.integration.conftest import AGENT_ONE, AGENT_TWO, STRANGER, Hotline, finished
from tests.support.aio import ask, run
from tests.support.sipp import free_port, run_scenario, unauthenticated_register_scenario

INJECTED_AGI = "agi://6.6.6.6"


def dialplan_global(hotline: Hotline, name: str) -> str:
    """A global variable of the running dialplan, as Asterisk itself reports it."""

    async def globals_(ami: AmiBridge) -> list[str]:
        return await ami.command("dialplan show globals")

    for line in ask(hotline.settings, globals_):
        key, sep, value = line.strip().partition("=")
        if sep and key == name:
            return value
    raise AssertionError(f"{name} is not a global of the running dialplan")


def no_trace_of(hotline: Hotline, caller: str) -> None:
    """No call, no ticket and no call-back entry for ``caller``, once the CRM had time."""
    time.sleep(1.5)
    assert hotline.calls_from(caller) == []
    listed = hotline.api("GET", "/api/callbacks")
    assert caller not in [t.get("caller_number") for t in listed]


# 1 · AMI ------------------------------------------------------------------------------------
def test_a_pause_reason_with_a_line_break_sends_no_second_ami_action(agents: Hotline):
    agents.login(AGENT_ONE, ["help"])
    before = dialplan_global(agents, "HOTLINE_AGI")
    reason = f"x\r\nAction: Setvar\r\nVariable: HOTLINE_AGI\r\nValue: {INJECTED_AGI}"
    response = httpx.post(
        f"{agents.settings.crm_url}/api/agents/{AGENT_ONE}/pause",
        json={"reason": reason},
        headers=agents.token,
        timeout=10,
    )
    # Refused at the edge (the field types), before the AMI door would refuse it too.
    assert response.status_code == 422, response.text
    assert "换行" in response.json()["error"]
    assert dialplan_global(agents, "HOTLINE_AGI") == before != INJECTED_AGI
    view = next(a for a in agents.api("GET", "/api/agents") if a["extension"] == AGENT_ONE)
    assert view["signed_in"] and not view["paused"]


def test_the_crms_ami_user_may_not_set_variables_or_run_system_actions(hotline: Hotline):
    async def attempt(ami: AmiBridge) -> list[str]:
        refused = []
        for action in (
            {"Action": "Setvar", "Variable": "HOTLINE_AGI", "Value": INJECTED_AGI},
            {"Action": "Reload", "Module": "pbx_config"},
        ):
            try:
                await ami.action(action)
            except AmiError as exc:
                refused.append(str(exc))
        return refused

    refused = ask(hotline.settings, attempt)
    assert len(refused) == 2 and all("Permission denied" in r for r in refused), refused
    assert dialplan_global(hotline, "HOTLINE_AGI") != INJECTED_AGI


# 4 · caller ID at the entrance -----------------------------------------------------------------
# A caller number that, decoded, ends the AMI event and forges a call-back's answer, and forges
# AGI variables of its own.
FORGED_FROM = (
    "139%0D%0A%0D%0AEvent%3A%20UserEvent%0D%0AUserEvent%3A%20HotlineCallback%0D%0A"
    "Attempt%3A%201%0D%0AStatus%3A%20ANSWER%0D%0Aagi_uniqueid%3A%206.6%0D%0A"
    "agi_network_script%3A%20call_end"
)


def test_a_caller_number_with_cr_lf_forges_no_ami_event_and_no_agi_variable(agents: Hotline):
    seen: list[Mapping[str, str]] = []

    async def listen_during_call(ami: AmiBridge) -> None:
        ami.manager.register_event("*", lambda _manager, message: seen.append(dict(message)))
        await asyncio.sleep(0.5)
        centre = agents.emergency_centre()
        _, caller = agents.call(keys="1", hold_ms=3000, caller=FORGED_FROM, speech=False)
        await asyncio.to_thread(finished, caller)
        assert await asyncio.to_thread(finished, centre) == 0, "110 never rang:\n" + centre.output()
        await asyncio.sleep(1)

    ask(agents.settings, listen_during_call)
    assert seen, "the AMI listener heard nothing"
    forged = [h for h in seen if h.get("UserEvent") == "HotlineCallback" or "Attempt" in h]
    assert forged == []
    # Every event of the citizen's channel that reached AMI carries one number: the filtered
    # one (the events before the filter carried the raw text and were held back).
    numbers = {
        h["CallerIDNum"]
        for h in seen
        if h.get("Channel", "").startswith("PJSIP/citizens-") and "CallerIDNum" in h
    }
    assert len(numbers) == 1, numbers
    [filtered] = numbers
    assert isinstance(filtered, str) and re.fullmatch(r"139[0-9+]*", filtered), filtered
    assert re.sub(r"[^0-9+]", "", unquote(FORGED_FROM)).startswith(filtered)
    call = agents.wait_for_call(filtered, lambda c: c["ended_at"] is not None)
    # The IVR ran on the real environment: the key was heard and 110 reached, under the
    # call's own uniqueid, not the forged one.
    assert call["ivr_path"] == ["1"] and call["transferred_to_110"]
    assert call["uniqueid"] != "6.6" and call["ticket"]["caller_number"] == filtered


def test_the_fastagi_server_refuses_an_environment_with_forged_lines(hotline: Hotline):
    async def forge() -> bytes:
        settings = hotline.settings
        reader, writer = await asyncio.open_connection(settings.bind_address, settings.agi_port)
        writer.write(
            b"agi_network: yes\nagi_network_script: ivr\nagi_uniqueid: 1796100000.7\n"
            b"agi_callerid: 139\r\nagi_uniqueid: 6.6\nagi_context: hotline-inbound\n\n"
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return answer

    assert run(forge()) == b"", "the server ran a handler on a forged environment"
    assert hotline.api("GET", "/api/calls", params={"caller": "139"}) == [] or all(
        c["uniqueid"] not in ("6.6", "1796100000.7") for c in hotline.calls_from("139")
    )
    log = (hotline.settings.var_dir / "log" / "agi.log").read_text(encoding="utf-8")
    assert "refused a forged AGI environment" in log


# 3 · identification by address first -----------------------------------------------------------
def test_from_users_of_the_trunk_or_110_from_another_address_are_refused(agents: Hotline):
    agents.login(AGENT_TWO, ["general"])
    phone = agents.phone(AGENT_TWO, ring_ms=200)
    calls_before = {c["uniqueid"] for c in agents.api("GET", "/api/calls", params={"limit": 500})}
    try:
        for caller, number in (
            ("citizens", agents.settings.hotline_number),
            ("emergency-110", AGENT_TWO),
            ("emergency-110", agents.settings.hotline_number),
            (AGENT_ONE, AGENT_TWO),  # an agent's phone without a password places no calls
        ):
            refused = agents.call_refused(number, status=401, caller=caller, local_ip=STRANGER)
            assert finished(refused, 30) == 0, f"{caller} → {number}:\n" + refused.output()
        # No refused INVITE made a call (a From user is not a number the API could be asked for).
        calls_after = agents.api("GET", "/api/calls", params={"limit": 500})
        assert {c["uniqueid"] for c in calls_after} <= calls_before
        time.sleep(1)
        assert phone.process is not None and phone.process.poll() is None, "the agent was rung"
    finally:
        phone.stop()
    # The trunk's own address still reaches the IVR, and key 1 reaches 110.
    centre = agents.emergency_centre()
    number, caller = agents.call(keys="1", hold_ms=2000, speech=False)
    assert finished(caller) == 0 and finished(centre) == 0
    assert agents.wait_for_call(number, lambda c: c["ended_at"] is not None)["transferred_to_110"]


# 2 · nobody registers without authenticating ---------------------------------------------------
def test_a_strangers_register_for_a_phone_without_password_is_refused(agents: Hotline):
    port = free_port()
    for source, expect in ((STRANGER, 401), ("127.0.0.1", 404)):
        sipp = run_scenario(
            agents.workdir / f"stranger-register-{source}",
            unauthenticated_register_scenario(AGENT_ONE, expect),
            port=port,
            target=f"127.0.0.1:{agents.settings.sip_port}",
            local_ip=source,
        )
        assert finished(sipp, 30) == 0, f"REGISTER from {source}:\n" + sipp.output()
    contacts = AsteriskProcess(agents.settings).cli(f"pjsip show aor {AGENT_ONE}")
    assert f":{port}" not in contacts and STRANGER not in contacts
    # The agent's own phone still rings on the next queue call.
    agents.login(AGENT_ONE, ["consult"])
    phone = agents.phone(AGENT_ONE)
    number, caller = agents.call(keys="2", hold_ms=4000, speech=False)
    assert finished(caller) == 0, caller.output()
    assert finished(phone) == 0, "the agent's own phone never rang:\n" + phone.output()
    call = agents.wait_for_call(number, lambda c: c["ended_at"] is not None)
    assert call["agent_interface"] == f"PJSIP/{AGENT_ONE}" and call["outcome"] == "answered"


# 7 · only hotline calls make tickets -----------------------------------------------------------
def test_a_scanners_invite_to_another_number_leaves_no_ticket(agents: Hotline):
    caller = "13712345670"
    for number in ("008613800138000", "0", "99999"):
        refused = agents.call_refused(number, status=404, caller=caller)
        assert finished(refused, 30) == 0, f"{number}:\n" + refused.output()
    no_trace_of(agents, caller)


# 5 · call-back number policy -------------------------------------------------------------------
def test_a_call_back_to_an_international_premium_number_is_refused_and_audited(agents: Hotline):
    premium = "00882123456789"
    _, caller = agents.call(keys="4", hold_ms=3000, caller=premium, speech=False)
    assert finished(caller) == 0, caller.output()
    call = agents.wait_for_call(premium, lambda c: c["ticket"]["callback_needed"])
    engine = db.make_engine(agents.settings.db_url)
    sessions = db.make_sessionmaker(engine)
    with db.transaction(sessions) as session:
        set_account(session, "edge-agent", "edge-password-1", [Role.AGENT], extension=AGENT_ONE)
        ticket_id = session.scalars(
            select(Ticket.id).where(Ticket.number == call["ticket"]["number"])
        ).one()
    carrier = agents.citizen_busy()  # would answer the call-back's INVITE at once
    try:
        with httpx.Client(base_url=agents.settings.crm_url, timeout=10) as web:
            signed_in = web.post(
                "/web/login", data={"username": "edge-agent", "password": "edge-password-1"}
            )
            assert signed_in.status_code in (200, 303), signed_in.text
            response = web.post(f"/web/api/callbacks/{ticket_id}/call")
        assert response.status_code == 400, response.text
        assert "国际号码" in response.json()["error"]
        time.sleep(3)
        assert carrier.process is not None and carrier.process.poll() is None, (
            "a call reached the carrier trunk:\n" + carrier.output()
        )
    finally:
        carrier.stop()
    with sessions() as session:
        attempts = session.scalars(
            select(CallbackAttempt).where(CallbackAttempt.ticket_id == ticket_id)
        ).all()
        refusals = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "call_back_refused", AuditEntry.entity_id == str(ticket_id)
            )
        ).all()
    engine.dispose()
    assert attempts == [] and len(refusals) == 1 and refusals[0].actor == "edge-agent"


# 8 · templates receive plain data --------------------------------------------------------------
def signed_in(hotline: Hotline, username: str, roles: list[Role], **account: str) -> httpx.Client:
    password = f"{username}-password-1"
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        set_account(session, username, password, roles, **account)
    engine.dispose()
    web = httpx.Client(base_url=hotline.settings.crm_url, timeout=30)
    answer = web.post("/web/login", data={"username": username, "password": password})
    assert answer.status_code in (200, 303), answer.text
    return web


def test_an_admins_template_reaches_no_file_no_secret_and_no_object(hotline: Hotline):
    settings = hotline.settings
    target = settings.var_dir / "written-by-a-template"
    shipped = (settings.instance_host_dir / "etc" / "extensions.conf").read_text()
    attacks = [
        f"{{{{ s.var_dir.joinpath('{target.name}').write_text('owned') }}}}",
        "{{ s.crm_ingest_token }}",
        "{{ s.ami_secret }}",  # only manager.conf, which is not edited in the browser
        "{{ cycler(1, 2).reset() }}",  # any attribute of a non-plain object
        "{{ s.agents.append(1) }}",  # plain data is read-only
    ]
    web = signed_in(hotline, "edge-admin", [Role.ADMIN])
    try:
        template = web.get("/web/api/admin/documents/extensions.conf").json()
        for attack in attacks:
            text = template["content"].replace(
                "[hotline-inbound]\n", f"[hotline-inbound]\n; {attack}\n", 1
            )
            answer = web.post(
                "/web/api/admin/documents/extensions.conf",
                json={"content": text, "base_version": template["version"]},
            )
            assert answer.status_code == 422, (attack, answer.text)
            message = answer.text
            for secret in (settings.crm_ingest_token, settings.ami_secret):
                assert secret not in message, attack
            assert "root:" not in message
    finally:
        web.close()
    assert not target.exists()
    assert (settings.instance_host_dir / "etc" / "extensions.conf").read_text() == shipped
    # The hotline still runs what it ran: key 1 reaches 110.
    centre = hotline.emergency_centre()
    number, caller = hotline.call(keys="1", hold_ms=2000, speech=False)
    assert finished(caller) == 0 and finished(centre) == 0


# 9 · nothing runs as root ----------------------------------------------------------------------
def uids_of(pid: int) -> list[int]:
    """Real, effective, saved and filesystem uid of a running process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return [int(u) for u in line.split()[1:]]
    raise AssertionError(f"no Uid line for {pid}")


def test_no_hotline_process_runs_as_root_and_asterisk_has_a_uid_of_its_own(hotline: Hotline):
    settings = hotline.settings
    owners = {}
    for name in services.SERVICE_ORDER:
        pid = services.pid_of(settings, name)
        assert pid, f"{name} is not running"
        found = set(uids_of(pid))
        assert 0 not in found, f"{name} (pid {pid}) runs as root: {found}"
        assert len(found) == 1, f"{name} could become root again: {found}"
        owners[name] = pwd.getpwuid(found.pop()).pw_name
    assert owners["asterisk"] == settings.asterisk_user == "hotline-asterisk"
    assert {owners[n] for n in ("crm", "agi", "transcriber")} == {settings.service_user}
    # The uid Asterisk has in its chroot is the host's hotline-asterisk, nobody else's.
    uid, gid = asterisk_ids(settings)
    assert (
        pwd.getpwuid(uid).pw_name == "hotline-asterisk" and uid != pwd.getpwnam("postgres").pw_uid
    )
    assert [p.pw_name for p in pwd.getpwall() if p.pw_uid == uid] == ["hotline-asterisk"]
    # No process with this instance's files in its command line runs as root either.
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            found = set(uids_of(int(proc.name)))
        except (OSError, AssertionError):
            continue
        if str(settings.asterisk_instance_dir) in cmdline and "/usr/sbin/asterisk -f" in cmdline:
            assert 0 not in found, cmdline
    # What the services write is theirs, and not readable by anyone else.
    database = settings.var_dir / "hotline.db"
    assert database.stat().st_uid == pwd.getpwnam(settings.service_user).pw_uid
    assert database.stat().st_mode & 0o077 == 0
    instance = settings.instance_host_dir
    assert instance.stat().st_uid == uid and instance.stat().st_mode & 0o007 == 0


# 10 · what Asterisk listens on -----------------------------------------------------------------
def sockets_of(pid: int) -> list[tuple[str, str, int]]:
    """(protocol, local address, port) of each TCP listener and UDP socket of ``pid``."""
    found = []
    for protocol, flag in (("tcp", "-t"), ("udp", "-u")):
        out = subprocess.run(
            ["ss", "-H", "-l", "-n", "-p", flag], capture_output=True, text=True, check=True
        ).stdout
        for line in out.splitlines():
            if f"pid={pid}," not in line:
                continue
            local = line.split()[3]
            address, _, port = local.rpartition(":")
            found.append((protocol, address.strip("[]"), int(port)))
    return sorted(found)


def test_asterisk_listens_on_the_bind_address_but_for_pjprojects_resolver(hotline: Hotline):
    settings = hotline.settings
    pid = services.pid_of(settings, "asterisk")
    assert pid
    sockets = sockets_of(pid)
    bound = [s for s in sockets if s[1] == settings.bind_address]
    others = [s for s in sockets if s[1] != settings.bind_address]
    # AMI, the metrics server and the SIP transport, on the bind address (RTP ports there
    # too, only during calls).
    assert ("udp", settings.bind_address, settings.sip_port) in bound
    assert sorted(s for s in bound if s[0] == "tcp") == sorted(
        [
            ("tcp", settings.bind_address, settings.ami_port),
            ("tcp", settings.bind_address, settings.asterisk_metrics_port),
        ]
    )
    # The rest is exactly pjproject's DNS resolver (README, "Trust boundaries"): one IPv4 and
    # one IPv6 UDP socket on an ephemeral port, from which it sends its queries.
    assert sorted((p, a) for p, a, _ in others) == [("udp", "0.0.0.0"), ("udp", "::")], sockets
    assert all(port >= 32768 for _, _, port in others), sockets
    # A stranger's datagram to them is no DNS answer to a query of Asterisk's: dropped, and the
    # hotline goes on answering.
    for _, address, port in others:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        target = "::1" if family == socket.AF_INET6 else STRANGER
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.sendto(b"\x12\x34\x81\x80" + b"\x00" * 8 + b"junk", (target, port))
    time.sleep(0.5)
    centre = hotline.emergency_centre()
    number, caller = hotline.call(keys="1", hold_ms=2000, speech=False)
    assert finished(caller) == 0 and finished(centre) == 0
    assert services.pid_of(settings, "asterisk") == pid


def test_a_call_back_result_from_a_channel_the_crm_did_not_originate_is_ignored(
    agents: Hotline,
):
    number, caller = agents.call(keys="4", hold_ms=3000, speech=False)
    assert finished(caller) == 0, caller.output()
    call = agents.wait_for_call(number, lambda c: c["ticket"]["callback_needed"])
    engine = db.make_engine(agents.settings.db_url)
    sessions = db.make_sessionmaker(engine)
    with db.transaction(sessions) as session:
        ticket_id = session.scalars(
            select(Ticket.id).where(Ticket.number == call["ticket"]["number"])
        ).one()
        pending = CallbackAttempt(ticket_id=ticket_id, agent_extension=AGENT_ONE, number=number)
        session.add(pending)
        session.flush()
        attempt_id = pending.id
    carrier = agents.citizen_busy()
    seen: list[Mapping[str, str]] = []

    async def run_callback_dialplan_outside_the_crm(ami: AmiBridge) -> None:
        # A channel of its own (not the CRM's Originate for the attempt) runs [hotline-callback]
        # with the pending attempt's number: its hang-up raises a HotlineCallback event.
        ami.manager.register_event(
            "UserEvent",
            lambda _manager, h: (
                seen.append(dict(h)) if h.get("UserEvent") == "HotlineCallback" else None
            ),
        )
        await ami.action(
            {
                "Action": "Originate",
                "Channel": f"Local/{number}@hotline-callback",
                "Application": "Wait",
                "Data": "5",
                "Variable": f"HOTLINE_CALLBACK_ATTEMPT={attempt_id}",
                "Async": "true",
            }
        )
        deadline = time.monotonic() + 20
        while not seen and time.monotonic() < deadline:
            await asyncio.sleep(0.2)

    try:
        ask(agents.settings, run_callback_dialplan_outside_the_crm)
        assert finished(carrier, 30) == 0, carrier.output()
    finally:
        carrier.stop()
    assert [h.get("Attempt") for h in seen] == [str(attempt_id)], seen
    time.sleep(2)
    with sessions() as session:
        attempt = session.get(CallbackAttempt, attempt_id)
        assert attempt is not None and attempt.status == "calling", attempt.status
    engine.dispose()
