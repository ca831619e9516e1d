"""Dialplan variable names shared by ``dialplans/extensions.conf`` and the AGI handlers.

Every name the AGI side reads or sets is here, once; grep the dialplan for the same names.
"""

# Set by the IVR handler; read by [hotline-route].
ROUTE = "HOTLINE_ROUTE"
QUEUE = "HOTLINE_QUEUE"
PRIORITY = "HOTLINE_PRIORITY"
URGENT_WORDS = "HOTLINE_URGENT_WORDS"

# Set by the dialplan; read at hangup.
QUEUED_AT = "HOTLINE_QUEUED_AT"
EMERGENCY_FAILED = "HOTLINE_EMERGENCY_FAILED"
IVR_FALLBACK = "HOTLINE_IVR_FALLBACK"
PROMPTS = "HOTLINE_PROMPTS"

# Set by Asterisk itself.
HANGUPCAUSE = "HANGUPCAUSE"
DIALSTATUS = "DIALSTATUS"
QUEUESTATUS = "QUEUESTATUS"
MEMBERINTERFACE = "MEMBERINTERFACE"
QEHOLDTIME = "QEHOLDTIME"
MIXMONITOR_FILENAME = "MIXMONITOR_FILENAME"
