"""The call path inside the CRM: typed call events, their ingestion, and the tickets they make.

Events come from two producers, the FastAGI server (over HTTP, through its durable outbox) and
the AMI bridge; both go through :func:`crm.calls.services.apply_event`, the one place that turns
them into call records and tickets.
"""
