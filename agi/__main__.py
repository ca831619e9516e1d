"""Run the FastAGI server: ``python -m agi`` (``hotline start`` does this for you)."""

from __future__ import annotations

import asyncio
import logging
import signal

from agi.handlers.context import HandlerContext
from agi.outbox import Outbox
from agi.server import FastAgiServer
from hotline.settings import Settings, load_settings
from ivr.menu import load_menu

log = logging.getLogger("agi")


async def serve(settings: Settings) -> None:
    """Serve FastAGI and deliver the outbox until SIGTERM/SIGINT."""
    outbox = Outbox(settings.var_dir / "agi-outbox.db")
    context = HandlerContext(
        menu=load_menu(settings.ivr_menu_file),
        outbox=outbox,
        prompts_dir=str(settings.asterisk_prompts_dir),
        menu_file=settings.ivr_menu_file,
    )
    server = FastAgiServer(context)
    await server.start(settings.bind_address, settings.agi_port)
    delivery = asyncio.create_task(
        outbox.deliver_forever(
            f"{settings.crm_url}/api/call-events",
            settings.crm_ingest_token,
            settings.crm_timeout_seconds,
        )
    )
    log.info("FastAGI listening on %s:%s", settings.bind_address, settings.agi_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    delivery.cancel()


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(load_settings()))


if __name__ == "__main__":
    main()
