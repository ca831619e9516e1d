"""A whole hotline for the integration tests: the real Asterisk 22 (chroot), our FastAGI
server and CRM as real processes, and sipp as citizens, agents' phones and 110.

Everything runs on 127.0.0.1 with free ports (tests/support/instance.py). It needs root
(chroot, sipp's raw sockets): without root the tests fail and say so; they never skip.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotline.asterisk import AsteriskProcess
from hotline.settings import Settings
from tests.asr.conftest import ko_model_dir
from tests.support.instance import AGENT_ONE, AGENT_TWO, Instance, isolated_hotline
from tests.support.sipp import (
    BUSY,
    Sipp,
    Step,
    answerer_scenario,
    caller_scenario,
    citizen_answers_scenario,
    free_port_but,
    refused_call_scenario,
    run_scenario,
)
from tests.support.tokens import script_token_at


@dataclass
class Hotline:
    settings: Settings
    workdir: Path
    emergency_port: int
    agent_ports: dict[str, int]
    carrier_port: int
    _token: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, instance: Instance) -> Hotline:
        return cls(
            instance.settings,
            instance.root,
            instance.emergency_port,
            instance.agent_ports,
            instance.carrier_port,
        )

    # HTTP ----------------------------------------------------------------------------------
    @property
    def token(self) -> dict[str, str]:
        """A script's personal API token on this hotline (the FastAGI server's token posts call
        events only): a shift leader and hotline leader, who reads calls and moves any agent."""
        if not self._token:
            self._token.update(script_token_at(self.settings.db_url))
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method, f"{self.settings.crm_url}{path}", timeout=10, headers=self.token, **kwargs
        )
        response.raise_for_status()
        return response.json()

    def login(self, extension: str, queues: list[str] | None = None) -> None:
        self.api("POST", f"/api/agents/{extension}/login", json={"queues": queues})

    def logout(self, extension: str) -> None:
        self.api("POST", f"/api/agents/{extension}/logout")

    def wait_for_member(self, queue: str, extension: str, timeout: float = 30) -> None:
        """Until Asterisk's queue has the agent again: the CRM re-applies queue membership
        once its AMI link is back after Asterisk restarted (a link that looks up may still be
        the old one for a moment)."""
        deadline = time.monotonic() + timeout
        while True:
            shown = AsteriskProcess(self.settings).cli(f"queue show hotline-{queue}")
            if f"PJSIP/{extension}" in shown:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{extension} never came back to {queue}:\n{shown}")
            time.sleep(0.2)

    def calls_from(self, number: str) -> list[dict[str, Any]]:
        return self.api("GET", "/api/calls", params={"caller": number})

    def wait_for_call(
        self, number: str, done: Callable[[dict[str, Any]], bool], timeout: float = 30
    ) -> dict[str, Any]:
        """Poll the CRM until the caller's latest call satisfies ``done``."""
        deadline = time.monotonic() + timeout
        last: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                last = self.calls_from(number)
            except httpx.HTTPError:
                last = []
            if last and done(last[0]):
                return last[0]
            time.sleep(0.25)
        raise AssertionError(f"call from {number} never reached the expected state: {last}")

    # SIP -----------------------------------------------------------------------------------
    def _dir(self, name: str) -> Path:
        return self.workdir / f"{name}-{uuid.uuid4().hex[:8]}"

    def call(
        self,
        keys: str = "",
        hold_ms: int = 6000,
        caller: str | None = None,
        speech: bool = True,
        script: list[Step] | None = None,
        service: str | None = None,
    ) -> tuple[str, Sipp]:
        """A citizen calls the hotline (see ``caller_scenario``) or another of its numbers
        (``service``); returns the caller's number and sipp."""
        number = caller or new_number()
        scenario = caller_scenario(
            keys=keys, hold_ms=hold_ms, caller=number, speech=speech, script=script
        )
        sipp = run_scenario(
            self._dir("caller"),
            scenario,
            port=self._own_port(),
            target=f"127.0.0.1:{self.settings.sip_port}",
            service=service or self.settings.hotline_number,
        )
        return number, sipp

    def call_refused(
        self,
        service: str,
        status: int = 404,
        caller: str = "13800000000",
        local_ip: str = "127.0.0.1",
    ) -> Sipp:
        """A call Asterisk must refuse with ``status``: 404 for a number the hotline does not
        have, 401 for a call in an agent's name without the agent's password. ``local_ip``:
        where it comes from (127.0.0.1 is the carrier trunk; STRANGER is outside it)."""
        return run_scenario(
            self._dir(f"refused-{status}"),
            refused_call_scenario(status, caller),
            port=self._own_port(),
            target=f"127.0.0.1:{self.settings.sip_port}",
            service=service,
            local_ip=local_ip,
        )

    def _own_port(self) -> int:
        """A port for a caller's sipp that no phone, 110 or trunk of this hotline will want."""
        return free_port_but(*self.agent_ports.values(), self.emergency_port, self.carrier_port)

    def phone(self, extension: str, ring_ms: int = 500) -> Sipp:
        """The agent's desk phone: answers one call, talks, waits for the hang-up."""
        return run_scenario(
            self._dir(f"phone-{extension}"),
            answerer_scenario(ring_ms),
            port=self.agent_ports[extension],
        )

    def citizen_answers(self, number: str) -> Sipp:
        """The citizen ``number`` behind the carrier trunk answers a call-back, then hangs up."""
        return run_scenario(
            self._dir(f"citizen-{number}"),
            citizen_answers_scenario(number),
            port=self.carrier_port,
        )

    def citizen_busy(self) -> Sipp:
        """The citizen behind the carrier trunk is on another call: 486 Busy Here."""
        return run_scenario(self._dir("citizen-busy"), BUSY, port=self.carrier_port)

    def emergency_centre(self, busy: bool = False, calls: int = 1) -> Sipp:
        """110: answers (or is busy for) ``calls`` calls."""
        scenario = BUSY if busy else answerer_scenario(300)
        return run_scenario(self._dir("110"), scenario, port=self.emergency_port, calls=calls)


# A loopback address outside the carrier trunk's (127.0.0.1): an attacker on the network.
STRANGER = "127.0.0.2"


def new_number() -> str:
    return "139" + str(uuid.uuid4().int)[:8]


def finished(sipp: Sipp, timeout: float = 90) -> int:
    try:
        return sipp.wait(timeout)
    except Exception:
        sipp.stop()
        raise AssertionError(f"sipp did not finish:\n{sipp.output()[-3000:]}") from None


SPEECH_SETTINGS = {"model_dir": str(ko_model_dir()), "workers": 1, "job_poll_seconds": 0.5}


@pytest.fixture(scope="session")
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    with isolated_hotline(tmp_path_factory.mktemp("hotline"), asr=SPEECH_SETTINGS) as instance:
        yield Hotline.of(instance)


@pytest.fixture(scope="module")
def listening_hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """A hotline whose IVR invites callers to say their problem (asr.ivr_invites_speech)."""
    speech = {**SPEECH_SETTINGS, "ivr_invites_speech": True}
    with isolated_hotline(tmp_path_factory.mktemp("listening"), asr=speech) as instance:
        yield Hotline.of(instance)


@pytest.fixture
def agents(hotline: Hotline) -> Iterator[Hotline]:
    """Both agents signed out before and after a test: each test says who answers."""
    for extension in (AGENT_ONE, AGENT_TWO):
        hotline.logout(extension)
    yield hotline
    for extension in (AGENT_ONE, AGENT_TWO):
        hotline.logout(extension)
