"""The browser consoles (话务台, 值班长, 质检, 系统管理) on top of the CRM.

``include_web(app)`` mounts the pages, the console API under ``/web/api``, the WebSocket at
``/web/ws`` and the static files; ``crm.app.create_app`` calls it once. Routes here are thin:
the rules stay in ``crm.services`` / ``crm.domain``, the call path in ``crm.calls`` and
``crm.agents``. Every payload a browser receives passes ``crm.domain.redaction``.
"""

from __future__ import annotations

from crm.web.setup import include_web

__all__ = ["include_web"]
