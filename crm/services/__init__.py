"""Services: the hotline's rules (``crm.domain``) applied to the database.

A service function takes a SQLAlchemy ``Session`` (the caller owns the transaction), the acting
``Viewer`` and plain data; it loads rows, asks the domain module, writes the outcome and an audit
entry. HTTP handlers, the AMI bridge and the overdue scheduler all go through here.
"""
