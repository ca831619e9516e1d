"""The browser consoles' pages (话务台, 值班长, 质检, 系统管理) on top of the CRM.

``include_web(app)`` mounts the pages, the WebSocket at ``/web/ws`` (the hub) and the static
files; ``crm.app.create_app`` calls it once. Nothing here queries the database or talks to
Asterisk: the pages call the routes of the capability folders (``crm/<capability>/http.py``,
``console.py``), the pop view and the hub call their services. Every payload a browser receives
passes ``crm.domain.redaction.redact``.
"""

from __future__ import annotations

from crm.web.setup import include_web

__all__ = ["include_web"]
