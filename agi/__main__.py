"""Run the FastAGI server: ``python -m agi`` (``hotline start`` does this for you)."""

from __future__ import annotations

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from agi.blocklist import CrmBlocklist
from agi.handlers.context import HandlerContext
from agi.metrics import agi_health, agi_registry
from agi.outbox import Outbox
from agi.server import FastAgiServer
from callmodel.callback_numbers import CallbackPolicy
from hotline import logs
from hotline.observability import serve_metrics
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
        callback_policy=CallbackPolicy.of(settings.callback.allowed, settings.callback.refused),
    )
    # The harassment blocklist, asked of the CRM; when the CRM cannot answer in time the call
    # goes on as if the number were not listed (fail open: agi/handlers/ivr.py).
    blocklist = CrmBlocklist(
        settings.crm_url, settings.crm_ingest_token, settings.crm_timeout_seconds
    )
    context.blocklist = blocklist
    if settings.asr.ivr_invites_speech:
        _listen_for_urgent_speech(settings, context)
    server = FastAgiServer(context)
    await server.start(settings.bind_address, settings.agi_port)
    serve_metrics(
        agi_registry(outbox),
        lambda: agi_health(server, outbox),
        settings.bind_address,
        settings.agi_metrics_port,
    )
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
    await blocklist.close()


def _listen_for_urgent_speech(settings: Settings, context: HandlerContext) -> None:
    """Load the speech model once and let the IVR decode utterances in a thread pool.

    Without a model the IVR simply does not invite speech: callers still have the keys.
    """
    from asr.engine import ModelMissingError
    from asr.utterance import UtteranceDecoder

    try:
        decoder = UtteranceDecoder.from_settings(settings.asr)
    except (ModelMissingError, FileNotFoundError) as exc:
        log.error("IVR speech disabled: %s", exc)
        return
    streams = settings.asr.worker_count()
    # The first decode on a fresh recognizer is several times slower: pay it now, not a caller.
    welcome = settings.in_chroot(settings.asterisk_prompts_dir) / "welcome.wav"
    if welcome.exists():
        decoder.warm_up(welcome, streams)
    executor = ThreadPoolExecutor(streams, thread_name_prefix="utterance")

    async def urgent_words(asterisk_path: str) -> tuple[str, ...]:
        host_path = settings.in_chroot(asterisk_path)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(executor, decoder.decode, host_path)
        # What the caller said stays in the call's record, never in a log.
        log.info(
            "utterance %s: %d urgent words in %.2f s",
            host_path.name,
            len(result.urgent_words),
            result.decode_seconds,
        )
        return result.urgent_words

    context.utterances_dir = str(settings.utterances_dir)
    context.utterance_limits = (
        settings.asr.utterance_max_seconds,
        settings.asr.utterance_silence_seconds,
    )
    context.urgent_words = urgent_words
    log.info("IVR invites speech; model %s", settings.asr.resolved_model_dir())


def main() -> None:
    logs.configure(logging.INFO)
    asyncio.run(serve(load_settings()))


if __name__ == "__main__":
    main()
