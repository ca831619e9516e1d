"""agi://host/virtual_queue — a queued caller pressed the key to hang up and keep their place
(虚拟排队, dialplans/extensions.conf [hotline-queue-exit]).

The hotline will dial the caller's number when their turn comes, through the carrier trunk,
at its cost: the same toll-fraud rule as a call-back from the console applies (the call-back
policy, ``callmodel.callback_numbers``). The handler tells the dialplan the number to dial, or
nothing, and the caller is put back at their place.
"""

from __future__ import annotations

import logging

from agi.channel import Channel, set_variable
from agi.handlers.context import HandlerContext
from callmodel import dialplan as v
from callmodel.callback_numbers import CallbackNumberRefused, dialable

log = logging.getLogger(__name__)


async def virtual_queue(channel: Channel, ctx: HandlerContext) -> None:
    caller = channel.env.get("agi_callerid", "")
    try:
        number = dialable(caller, ctx.callback_policy)
    except CallbackNumberRefused as refused:
        log.info("virtual queue refused for call %s: %s", channel.env.get("agi_uniqueid"), refused)
        return
    await set_variable(channel, v.CALLBACK_NUMBER, number)
