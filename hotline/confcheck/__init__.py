"""Asterisk configuration read the way Asterisk reads it, and checked before Asterisk sees it.

Asterisk's config reader (main/config.c) and pbx_config load what they can and log the rest: a
line without '=' is dropped with a warning, a PJSIP object with an option it does not know
fails to load, a misspelt application, Goto label or queue name fails only when a caller gets
there. A hotline must not learn that from a caller, so each file is parsed here with the same
rules, then cross-checked (contexts, labels, priorities, queues, endpoints, prompts), and every
problem names its file and line.

What only the running Asterisk knows (its loaded applications and channel types, the options
each PJSIP object accepts) comes in as ``AsteriskFacts``; without it those checks are skipped.

The package reads each file as Asterisk does (``config_files``), the dialplan as pbx_config
loads it (``dialplan``), and cross-checks them (``checks``); this module names what the rest of
the hotline uses.
"""

from hotline.confcheck.checks import AsteriskFacts, Telephony, check
from hotline.confcheck.config_files import ConfFile, Entry, Problem, Section, parse
from hotline.confcheck.dialplan import (
    Dialplan,
    Step,
    StepKey,
    pattern_matches,
    read_dialplan,
    step_keys,
)

__all__ = [
    "AsteriskFacts", "ConfFile", "Dialplan", "Entry", "Problem", "Section", "Step", "StepKey",
    "Telephony", "check", "parse", "pattern_matches", "read_dialplan", "step_keys",
]  # fmt: skip
