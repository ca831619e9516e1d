"""The channel a call-back's Originate creates has a uniqueid only the CRM can make.

The dialplan reports a call-back's result in a ``UserEvent: HotlineCallback`` (Attempt,
Status). An AMI event a caller forged (a line break in a caller number, held back by the AMI
user's event filter) or one raised by any other channel must never mark a call-back answered:
the CRM gives the Originate a ChannelId derived from the attempt and a secret, and accepts a
result only from the channel that carries it. Pure: no AMI, no database.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "hotline-cb-"


def channel_id(secret: str, attempt: int) -> str:
    """The uniqueid the call-back channel of ``attempt`` is created with."""
    mac = hmac.new(secret.encode(), f"callback-attempt:{attempt}".encode(), hashlib.sha256)
    return f"{PREFIX}{attempt}-{mac.hexdigest()[:32]}"


def originated(secret: str, attempt: int, uniqueid: str | None) -> bool:
    """True when ``uniqueid`` is the channel the CRM originated for ``attempt``."""
    return bool(uniqueid) and hmac.compare_digest(channel_id(secret, attempt), str(uniqueid))
