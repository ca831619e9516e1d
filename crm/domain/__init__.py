"""The hotline's rules (docs/hotline-rules.md) as plain Python.

Nothing here imports FastAPI, opens sockets or knows about Asterisk: HTTP handlers, the AMI bridge
and the FastAGI server call into this package, never the other way round.
"""
