"""The dialplan contract: every name ``dialplans/*.conf`` and the Python code share, once.

Channel variables, context names, the queue-name pattern, endpoint names and UserEvent names
that the templates use and that the FastAGI handlers (agi/), the AMI bridge and the capabilities
(crm/) read or set. Grep the templates for the same names; never write one of these as a string
literal elsewhere. The templates receive ``CONTRACT`` as ``dialplan`` when rendered
(``{{ dialplan.CALLBACK_USEREVENT }}``), and tests/unit/test_dialplan_contract.py fails when a
shipped template and this module disagree.
"""

from __future__ import annotations

# Channel variables set by the IVR handler; read by [hotline-route].
ROUTE = "HOTLINE_ROUTE"
QUEUE = "HOTLINE_QUEUE"
PRIORITY = "HOTLINE_PRIORITY"
URGENT_WORDS = "HOTLINE_URGENT_WORDS"

# Set by the dialplan; read at hangup.
QUEUED_AT = "HOTLINE_QUEUED_AT"
EMERGENCY_FAILED = "HOTLINE_EMERGENCY_FAILED"
IVR_FALLBACK = "HOTLINE_IVR_FALLBACK"
PROMPTS = "HOTLINE_PROMPTS"

# Set by the CRM on a call-back's Originate; read by [hotline-callback].
CALLBACK_TICKET = "HOTLINE_CALLBACK_TICKET"
CALLBACK_ATTEMPT = "HOTLINE_CALLBACK_ATTEMPT"

# 虚拟排队: set by the virtual_queue handler (the number the call-back policy lets the hotline
# dial, empty when none); set on the caller's channel once their place is kept; read at hangup.
CALLBACK_NUMBER = "HOTLINE_CALLBACK_NUMBER"
PLACE_KEPT = "HOTLINE_PLACE_KEPT"
# Set when the caller left a voice message after the queue's longest wait; read at hangup.
VOICE_MESSAGE = "HOTLINE_VOICE_MESSAGE"
# On the Local channel that holds a kept place: the kept call's Uniqueid, queue and place.
VIRTUAL_OF = "HOTLINE_VIRTUAL_OF"
VIRTUAL_QUEUE = "HOTLINE_VIRTUAL_QUEUE"
VIRTUAL_POSITION = "HOTLINE_VIRTUAL_POSITION"
VIRTUAL_PRIO = "HOTLINE_VIRTUAL_PRIO"

# Set by Asterisk itself.
HANGUPCAUSE = "HANGUPCAUSE"
DIALSTATUS = "DIALSTATUS"
QUEUESTATUS = "QUEUESTATUS"
MEMBERINTERFACE = "MEMBERINTERFACE"
QEHOLDTIME = "QEHOLDTIME"
MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME"

# Contexts (dialplans/extensions.conf).
INBOUND_CONTEXT = "hotline-inbound"  # a citizen's call enters here
ROUTE_CONTEXT = "hotline-route"  # where the IVR's decision is carried out
HANGUP_CONTEXT = "hotline-hangup"  # the hang-up handler
CALLBACK_CONTEXT = "hotline-callback"  # a call-back, once the agent's phone answered
CITIZEN_CONTEXTS = (INBOUND_CONTEXT, ROUTE_CONTEXT, HANGUP_CONTEXT)
QUEUE_EXIT_CONTEXT = "hotline-queue-exit"  # a key pressed while queued
# A Local channel holding a caller's kept place; its extension is the kept call's Uniqueid.
VIRTUAL_QUEUE_CONTEXT = "hotline-virtual-queue"
VIRTUAL_DIAL_CONTEXT = "hotline-virtual-dial"  # an agent took the place: the caller is rung

# Queues (dialplans/queues.conf): the IVR menu's queue ``q`` is Asterisk's ``hotline-q``.
QUEUE_PREFIX = "hotline-"

# Endpoints (dialplans/pjsip.conf).
EMERGENCY_ENDPOINT = "emergency-110"

# The dialplan menu's UserEvent (FastAGI server down) with the route the caller chose.
ROUTED_USEREVENT = "HotlineRouted"

# The dialplan's UserEvent with a call-back's result, and the ActionID of its Originate.
CALLBACK_USEREVENT = "HotlineCallback"
CALLBACK_ACTION_PREFIX = "hotline-callback-"
# The dialplan's UserEvent with how the call to a caller whose place was kept ended.
VIRTUAL_USEREVENT = "HotlineVirtualCallback"


def queue_name(queue: str) -> str:
    """Asterisk's name of an IVR menu queue."""
    return f"{QUEUE_PREFIX}{queue}"


def menu_queue(name: str | None) -> str | None:
    """The IVR menu queue of an Asterisk queue name (a foreign name is kept as it is)."""
    if not name:
        return None
    return name[len(QUEUE_PREFIX) :] if name.startswith(QUEUE_PREFIX) else name


CONTRACT = {
    name: value
    for name, value in globals().items()
    if name.isupper() and isinstance(value, str | tuple)
}
