"""Process AGI (pyst2): the same handlers for sites that run AGI scripts from the dialplan.

    exten => 12345,n,AGI(/opt/hotline/.venv/bin/hotline-agi,ivr)

Asterisk starts one process per call and talks over stdin/stdout. The events go to the same
outbox file as the FastAGI server's; this process tries once to hand them to the CRM before it
exits, and whatever the CRM does not take now, the FastAGI server's delivery (or the next call)
sends later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys

import httpx
from asterisk.agi import AGI, AGIError, AGIHangup

from agi.channel import AgiProtocolError, AgiResult, CallerHungUp
from agi.handlers.context import HandlerContext
from agi.outbox import Outbox
from agi.server import ROUTES
from hotline import logs
from hotline.settings import load_settings
from ivr.menu import load_menu

log = logging.getLogger("agi.process")


class Pyst2Channel:
    """A channel driven over the AGI process's pipes, through pyst2."""

    def __init__(self, agi: AGI) -> None:
        self.agi = agi
        self.env = agi.env

    async def command(self, line: str) -> AgiResult:
        try:
            self.agi.send_command(line)
            reply = self.agi.get_result()
        except AGIHangup as exc:
            raise CallerHungUp(str(exc)) from exc
        except AGIError as exc:
            raise AgiProtocolError(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise CallerHungUp(f"pipe closed ({exc})") from exc
        return AgiResult.from_reply(reply)

    async def release(self) -> None:
        """Close our end of the pipe: Asterisk takes the end of output as the script's end."""
        self.agi.stdout.close()


async def run(script: str, agi: AGI) -> None:
    settings = load_settings()
    handler = ROUTES.get(script)
    if handler is None:
        log.error("unknown AGI script %r; the dialplan's fallback takes the call", script)
        return
    outbox = Outbox(settings.var_dir / "agi-outbox.db")
    context = HandlerContext(
        menu=load_menu(settings.ivr_menu_file),
        outbox=outbox,
        prompts_dir=str(settings.asterisk_prompts_dir),
    )
    with contextlib.suppress(CallerHungUp):
        await handler(Pyst2Channel(agi), context)
    try:
        async with httpx.AsyncClient(timeout=settings.crm_timeout_seconds) as client:
            await outbox.deliver_once(
                client, f"{settings.crm_url}/api/call-events", settings.crm_ingest_token
            )
    except (httpx.HTTPError, OSError) as exc:
        log.warning("CRM unreachable (%s); events stay in the outbox", exc)


def main() -> None:
    logs.configure(logging.WARNING)
    script = sys.argv[1] if len(sys.argv) > 1 else ""
    with open(os.devnull, "w") as quiet:
        agi = AGI(stdin=sys.stdin, stdout=sys.stdout, stderr=quiet)
        asyncio.run(run(script, agi))


if __name__ == "__main__":
    main()
