"""Real SIP peers for the tests: sipp as the citizen, as an agent's phone and as 110.

Scenarios are rendered per call because sipp's ``play_pcap_audio`` takes a fixed path (one
scenario per DTMF digit). The captures come with Debian's sip-tester package.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

PCAPS = Path("/usr/share/sip-tester")
SPEECH = PCAPS / "g711a.pcap"

SDP = """v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
"""

# The citizen's INVITE to [service], shared by the scenarios that place a call.
INVITE = """  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Citizen" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
"""

CALLER = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="citizen calls the hotline">
"""
    + INVITE
    + """  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Citizen" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
{actions}
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Citizen" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:{caller}@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""
)

# A citizen who follows a script, then waits for the hotline to hang up (BYE from Asterisk).
CALLER_HUNG_UP_ON = (
    CALLER.split('  <send retrans="500"><![CDATA[\nBYE')[0].replace(
        "citizen calls the hotline", "the hotline hangs up on a citizen"
    )
    + """  <recv request="BYE" timeout="60000"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{caller}@[local_ip]:[local_port]>
Content-Length: 0
]]></send>
</scenario>
"""
)

# A phone answering an INVITE with its SDP; {user} is "" or "<number>@" for its Contact.
ANSWER_OK = """  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:{user}[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
"""

ANSWERER = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answering phone">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
]]></send>
  <pause milliseconds="{ring_ms}"/>
"""
    + ANSWER_OK
    + """  <recv request="ACK" rtd="true" crlf="true"/>
  <nop><action><exec play_pcap_audio="{speech}"/></action></nop>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
]]></send>
</scenario>
"""
)

CITIZEN_ANSWERS = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a citizen answers a call-back to their number, talks, hangs up">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="^INVITE sip:{number}@" search_in="msg" check_it="true" assign_to="uri"/>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="remote"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="local"/>
      <ereg regexp="sip:[^>;]+" search_in="hdr" header="Contact:" assign_to="target"/>
    </action>
  </recv>
  <Reference variables="uri"/>
"""
    + ANSWER_OK
    + """  <recv request="ACK" crlf="true"/>
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500"><![CDATA[
BYE [$target] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From:[$local];tag=[pid]SIPpTag01[call_number]
To:[$remote]
Call-ID: [call_id]
CSeq: 1 BYE
Contact: <sip:{number}@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""
)


def citizen_answers_scenario(number: str, talk_ms: int = 2000) -> str:
    """The citizen's phone behind the carrier trunk: only a call to ``number`` succeeds."""
    return CITIZEN_ANSWERS.format(number=number, user=f"{number}@", talk_ms=talk_ms, sdp=SDP)


BUSY = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="busy line">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 486 Busy Here
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <recv request="ACK"/>
</scenario>
"""


REFUSED_CALL = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a call the hotline refuses with {status}">
"""
    + INVITE
    + """  <recv response="100" optional="true"/>
  <recv response="{status}"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: "Citizen" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
</scenario>
"""
)


def refused_call_scenario(status: int, caller: str = "13800000000") -> str:
    """A call that must end in ``status`` (404 unknown number, 401 an agent's identity)."""
    return REFUSED_CALL.format(status=status, caller=caller, sdp=SDP)


# One REGISTER request; {cseq} and {auth} (sipp's digest line, or nothing) vary.
REGISTER_REQUEST = """  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{{extension}}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:{{extension}}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <sip:{{extension}}@[local_ip]:[local_port]>
{auth}Expires: 3600
Max-Forwards: 70
Content-Length: 0
]]></send>
"""

REGISTER = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a desk phone registers with its password">
"""
    + REGISTER_REQUEST.format(cseq=1, auth="")
    + """  <recv response="401" auth="true"/>
"""
    + REGISTER_REQUEST.format(
        cseq=2, auth="[authentication username={extension} password={password}]\n"
    )
    + """  <recv response="{expect}"/>
</scenario>
"""
)


def register_scenario(extension: str, password: str, expect: int = 200) -> str:
    """A phone registers (digest authentication); ``expect`` is Asterisk's final answer."""
    return REGISTER.format(extension=extension, password=password, expect=expect)


UNAUTHENTICATED_REGISTER = (
    """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="a stranger registers as an extension without a password">
"""
    + REGISTER_REQUEST.format(cseq=1, auth="")
    + """  <recv response="{expect}"/>
</scenario>
"""
)


def unauthenticated_register_scenario(extension: str, expect: int) -> str:
    """A REGISTER with no credentials at all; ``expect`` is Asterisk's answer to it."""
    return UNAUTHENTICATED_REGISTER.format(extension=extension, expect=expect)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, kind: int = socket.SOCK_DGRAM) -> list[int]:
    """``count`` different free ports: each is held until all are chosen, so the kernel cannot
    offer one twice."""
    sockets = [socket.socket(socket.AF_INET, kind) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port_but(*taken: int) -> int:
    """A free UDP port that is none of ``taken``: an agent's phone port is allocated when the
    hotline starts but bound only when its sipp starts, so the kernel may offer it again."""
    while True:
        port = free_port()
        if port not in taken:
            return port


def dtmf_pcap(key: str) -> Path:
    name = {"*": "star", "#": "pound"}.get(key, key)
    return PCAPS / f"dtmf_2833_{name}.pcap"


Step = tuple[str, int | str]  # ("pause", ms) | ("key", "1") | ("speech", 0)


def caller_scenario(
    keys: str = "",
    hold_ms: int = 8000,
    caller: str = "13800138000",
    speech: bool = True,
    script: list[Step] | None = None,
) -> str:
    """A citizen: by default waits 1.5 s after the answer, presses ``keys``, talks, hangs up
    after ``hold_ms``; or follows ``script`` exactly, then hangs up."""
    if script is None:
        script = [("pause", 1500)]
        for key in keys:
            script += [("key", key), ("pause", 400)]
        if speech:
            script.append(("speech", 0))
        script.append(("pause", hold_ms))
    return CALLER.format(caller=caller, sdp=SDP, actions=_actions(script))


def hung_up_on_scenario(caller: str, script: list[Step]) -> str:
    """A citizen who follows ``script`` and then holds on until the hotline hangs up."""
    return CALLER_HUNG_UP_ON.format(caller=caller, sdp=SDP, actions=_actions(script))


def _actions(script: list[Step]) -> str:
    actions = []
    for kind, value in script:
        if kind == "pause":
            actions.append(f'  <pause milliseconds="{value}"/>')
        elif kind == "key":
            pcap = dtmf_pcap(str(value))
            actions.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
        elif kind == "speech":
            actions.append(f'  <nop><action><exec play_pcap_audio="{SPEECH}"/></action></nop>')
        else:
            raise ValueError(f"unknown caller step {kind!r}")
    return "\n".join(actions)


def answerer_scenario(ring_ms: int = 500) -> str:
    return ANSWERER.format(ring_ms=ring_ms, user="", sdp=SDP, speech=SPEECH)


@dataclass
class Sipp:
    """One sipp process; ``wait`` returns its exit code (0: every call succeeded)."""

    argv: list[str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.workdir / "sipp.out"

    def start(self) -> Sipp:
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def output(self) -> str:
        texts = [self.log.read_text(errors="replace")]
        for path in self.workdir.glob("*errors.log"):
            texts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(texts)


def sipp_binary() -> str:
    path = shutil.which("sipp")
    if not path:
        raise RuntimeError("sipp is missing: apt-get install sip-tester (the setup does this)")
    return path


def run_scenario(
    workdir: Path,
    scenario: str,
    *,
    port: int,
    target: str | None = None,
    service: str = "",
    calls: int = 1,
    rate: float = 1.0,
    extra: list[str] | None = None,
    media_port: int | None = None,
    local_ip: str = "127.0.0.1",
) -> Sipp:
    """Start sipp with a rendered scenario, bound to local_ip:port (any 127.0.0.0/8 address
    answers on the loopback interface, so tests can call from addresses the hotline does not
    trust)."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "scenario.xml").write_text(scenario)
    media = media_port or free_port_but(port)
    argv = [
        sipp_binary(),
        "-sf",
        "scenario.xml",
        "-i",
        local_ip,
        "-p",
        str(port),
        "-mi",
        local_ip,
        "-mp",
        str(media),
        "-cp",
        str(free_port_but(port, media)),
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-nostdin",
        "-trace_err",
        "-timeout",
        "120",
        "-timeout_error",
    ]
    if service:
        argv += ["-s", service]
    argv += extra or []
    if target:
        argv.append(target)
    return Sipp(argv, workdir).start()
