"""The IVR's menu and its decisions, as data and pure functions.

``ivr/`` decides, ``agi/`` acts: nothing here imports Asterisk, network or database code, so every
decision a caller can meet is testable without a telephone.
"""
