"""Sign agents in and out of the queues and pause them, through AMI.

The CRM's database holds who is signed in to which queues; Asterisk is told with QueueAdd /
QueueRemove / QueuePause, and told again after every (re)connection, so a restarted Asterisk
gets its members back without a static file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from callmodel import dialplan
from crm.bridge.ami import AmiBridge, AmiError
from crm.db import transaction
from crm.domain.errors import HotlineError
from crm.models import AgentState
from hotline.settings import AgentSettings, Settings
from ivr.menu import Menu

log = logging.getLogger(__name__)


class AgentNotFound(HotlineError, LookupError):
    """No agent has this extension."""

    status = 404


class AgentRequestError(HotlineError, ValueError):
    """A queue or call-back request that cannot be carried out as asked."""

    status = 400


@dataclass
class AgentService:
    settings: Settings
    menu: Menu
    sessions: sessionmaker[Session]
    ami: AmiBridge

    def agent(self, extension: str) -> AgentSettings:
        for agent in self.settings.agents:
            if agent.extension == extension:
                return agent
        raise AgentNotFound(f"没有分机为 {extension} 的话务员")

    @staticmethod
    def interface(extension: str) -> str:
        return f"PJSIP/{extension}"

    def _queues_for(self, agent: AgentSettings, wanted: list[str] | None) -> list[str]:
        queues = wanted if wanted else agent.skills
        unknown = [q for q in queues if q not in self.menu.queues]
        if unknown:
            raise AgentRequestError(f"没有这些队列：{', '.join(unknown)}")
        not_skilled = [q for q in queues if q not in agent.skills]
        if not_skilled:
            raise AgentRequestError(
                f"话务员 {agent.extension} 不具备这些技能：{', '.join(not_skilled)}"
            )
        return queues

    async def login(self, extension: str, queues: list[str] | None = None) -> AgentState:
        """Sign in to the given queues (default: all of the agent's skills), ready to answer."""
        agent = self.agent(extension)
        wanted = self._queues_for(agent, queues)
        previous = set(self._state(extension).queues or [])
        # Asterisk first: if it cannot be told, the agent is not signed in anywhere.
        for queue in previous - set(wanted):
            await self._remove(agent, queue)
        for queue in wanted:
            await self._add(agent, queue, paused=False)
        return self._save(extension, queues=wanted, paused=False, reason=None)

    async def logout(self, extension: str) -> AgentState:
        agent = self.agent(extension)
        for queue in self._state(extension).queues or []:
            await self._remove(agent, queue)
        return self._save(extension, queues=[], paused=False, reason=None)

    async def pause(self, extension: str, paused: bool, reason: str | None = None) -> AgentState:
        """Paused agents stay signed in but are not rung (a break, after-call work)."""
        agent = self.agent(extension)
        state = self._state(extension)
        if not state.queues:
            raise AgentRequestError(f"话务员 {extension} 尚未签入")
        await self.ami.action(
            {
                "Action": "QueuePause",
                "Interface": self.interface(agent.extension),
                "Paused": "true" if paused else "false",
                "Reason": reason or "",
            }
        )
        return self._save(
            extension, queues=state.queues, paused=paused, reason=reason if paused else None
        )

    def _state(self, extension: str) -> AgentState:
        with self.sessions() as session:
            return session.get(AgentState, extension) or AgentState(extension=extension, queues=[])

    def _save(
        self, extension: str, *, queues: list[str], paused: bool, reason: str | None
    ) -> AgentState:
        with transaction(self.sessions) as session:
            state = session.get(AgentState, extension) or AgentState(extension=extension)
            state.queues = list(queues)
            state.paused = paused
            state.pause_reason = reason
            session.add(state)
        return state

    def states(self) -> list[AgentState]:
        with self.sessions() as session:
            return list(session.query(AgentState).all())

    async def resync(self) -> None:
        """Tell a (re)connected Asterisk who is signed in; members already there are kept."""
        for state in self.states():
            try:
                agent = self.agent(state.extension)
            except AgentNotFound:
                continue
            for queue in state.queues or []:
                await self._add(agent, queue, paused=state.paused)
        log.info("AMI: queue membership applied for %d agents", len(self.states()))

    async def _add(self, agent: AgentSettings, queue: str, paused: bool) -> None:
        try:
            await self.ami.action(
                {
                    "Action": "QueueAdd",
                    "Queue": dialplan.queue_name(queue),
                    "Interface": self.interface(agent.extension),
                    "MemberName": agent.name,
                    "StateInterface": self.interface(agent.extension),
                    "Paused": "true" if paused else "false",
                }
            )
        except AmiError as exc:
            if "Already there" not in str(exc):
                raise

    async def _remove(self, agent: AgentSettings, queue: str) -> None:
        try:
            await self.ami.action(
                {
                    "Action": "QueueRemove",
                    "Queue": dialplan.queue_name(queue),
                    "Interface": self.interface(agent.extension),
                }
            )
        except AmiError as exc:
            if "Not there" not in str(exc):
                raise
