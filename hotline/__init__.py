"""Shared plumbing of the hotline: settings, the command line, and process supervision.

Telephony decisions live in ``ivr/``, channel control in ``agi/``, tickets in ``crm/`` and
speech in ``asr/``; this package only ties them together on one box.
"""
