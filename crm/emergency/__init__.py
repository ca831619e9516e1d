"""The call-emergency plan (来电应急预案): alerts per the plan, post-event summaries, blocklist."""
