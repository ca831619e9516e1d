"""The FastAGI server and AGI scripts: they carry out ``ivr/``'s decisions on a live channel.

Nothing here decides where a call goes; every failure here ends on a safe path (the general
queue, or 110 once the caller chose it) and never in silence.
"""
