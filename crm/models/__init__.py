"""Every CRM model, imported here so Alembic and the app see one metadata."""

from crm.models.base import Base
from crm.models.calls import AgentState, Alert, Call, IngestedEvent, Ticket, TicketCounter

__all__ = ["AgentState", "Alert", "Base", "Call", "IngestedEvent", "Ticket", "TicketCounter"]
