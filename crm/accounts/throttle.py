"""Sign-in throttle: failed sign-ins counted per 工号 and per client address, with a lockout.

The counters are rows of ``sign_in_attempts`` (crm/models/accounts.py), so every CRM worker of
a hotline counts into the same place. Each failure is one atomic ``UPDATE`` (the row is written
before it is read, so two workers never both count from the same old value); a key with no row
yet is inserted under a savepoint and updated instead if another worker inserted it first.

An unknown 工号 is counted and locked exactly like a real one, so a lock never tells whether an
account exists. A success clears the account's counter but not the address's: one valid
account must not let its holder reset the guesses made from their address at other accounts.

This module only counts and decides; it never hashes a password (``is_locked`` is meant to be
asked before the expensive check) and never commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm import audit
from crm.models import SignInAttempt
from crm.models.base import UTCDateTime
from hotline.settings import SignInSettings

T = TypeVar("T")
ACCOUNT = "account"
ADDRESS = "address"
SCOPES = (ACCOUNT, ADDRESS)


@dataclass(frozen=True)
class Limits:
    """How many failures within ``window`` lock a key, and for how long."""

    account_failures: int = 5
    address_failures: int = 30
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, sign_in: SignInSettings) -> Limits:
        """From ``Settings.sign_in`` (hotline/settings.py, ``SignInSettings``)."""
        return cls(
            account_failures=sign_in.account_failures,
            address_failures=sign_in.address_failures,
            window=timedelta(minutes=sign_in.window_minutes),
            lockout=timedelta(minutes=sign_in.lockout_minutes),
        )

    def limit(self, scope: str) -> int:
        return self.account_failures if scope == ACCOUNT else self.address_failures


@dataclass(frozen=True)
class Lock:
    """A refusal in force: which key is locked and until when."""

    scope: str
    key: str
    until: datetime

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the lock runs out (at least 1), for ``Retry-After``."""
        return max(1, int((self.until - now).total_seconds() + 0.999))


def account_key(username: str) -> str:
    """The counter key of a 工号 as typed (trimmed, as accounts are stored)."""
    return username.strip()[:128]


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    return [(ACCOUNT, account_key(username)), (ADDRESS, address[:128])]


def is_locked(session: Session, username: str, address: str, now: datetime) -> Lock | None:
    """The lock in force on this 工号 or this address (the later-ending one), else None. Reads
    only: cheap enough to ask before any password is hashed."""
    wanted = or_(
        *(
            and_(SignInAttempt.scope == s, SignInAttempt.key == k)
            for s, k in _keys(username, address)
        )
    )
    rows = session.scalars(
        select(SignInAttempt).where(wanted, SignInAttempt.locked_until > now)
    ).all()
    found = [Lock(r.scope, r.key, r.locked_until) for r in rows if r.locked_until]
    return max(found, key=lambda lock: lock.until, default=None)


def _count(session: Session, scope: str, key: str, now: datetime, limits: Limits) -> bool:
    """Count one failure for the key; True when the key has no row yet."""
    t = SignInAttempt
    spent = or_(t.window_started_at <= now - limits.window, t.locked_until <= now)
    at = literal(now, UTCDateTime())  # stored in UTC, whatever zone the clock gave
    result = session.execute(
        update(t)
        .where(t.scope == scope, t.key == key)
        .values(
            failures=case((spent, 1), else_=t.failures + 1),
            window_started_at=case((spent, at), else_=t.window_started_at),
            locked_until=case((spent, None), else_=t.locked_until),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 0  # type: ignore[attr-defined,no-any-return]


def record_failure(
    session: Session, username: str, address: str, now: datetime, limits: Limits
) -> Lock | None:
    """Count a wrong password for the 工号 and the address; the lock this failure started, if
    it reached a limit (audited as ``web_login_lockout``). Never commits."""
    started: Lock | None = None
    for scope, key in _keys(username, address):
        if _count(session, scope, key, now, limits):
            try:
                with session.begin_nested():
                    session.add(
                        SignInAttempt(scope=scope, key=key, failures=1, window_started_at=now)
                    )
            except IntegrityError:  # another worker inserted it meanwhile: count into theirs
                _count(session, scope, key, now, limits)
        row = session.execute(
            select(SignInAttempt.failures, SignInAttempt.locked_until).where(
                SignInAttempt.scope == scope, SignInAttempt.key == key
            )
        ).one()
        if row.locked_until is None and row.failures >= limits.limit(scope):
            until = now + limits.lockout
            session.execute(
                update(SignInAttempt)
                .where(SignInAttempt.scope == scope, SignInAttempt.key == key)
                .values(locked_until=until)
                .execution_options(synchronize_session=False)
            )
            audit.record(
                session, "system", "web_login_lockout", "sign_in", f"{scope}:{key}",
                failures=row.failures, locked_until=until.isoformat(),
            )  # fmt: skip
            if started is None or until > started.until:
                started = Lock(scope, key, until)
    _prune(session, now, limits)
    return started


def record_success(session: Session, username: str) -> None:
    """A right password clears the 工号's count (never the address's). Never commits."""
    session.execute(
        delete(SignInAttempt).where(
            SignInAttempt.scope == ACCOUNT, SignInAttempt.key == account_key(username)
        )
    )


def _prune(session: Session, now: datetime, limits: Limits) -> None:
    """Forget rows whose window and lock are both over (guessed 工号 would pile up)."""
    t = SignInAttempt
    session.execute(
        delete(t).where(
            t.window_started_at <= now - limits.window,
            or_(t.locked_until.is_(None), t.locked_until <= now),
        )
    )


def locks(session: Session, now: datetime) -> list[dict[str, Any]]:
    """The locks in force, latest ending first (用户管理 lists them)."""
    rows = session.scalars(
        select(SignInAttempt)
        .where(SignInAttempt.locked_until > now)
        .order_by(SignInAttempt.locked_until.desc())
    )
    return [
        {"scope": r.scope, "key": r.key, "failures": r.failures, "locked_until": r.locked_until}
        for r in rows
    ]


def release(session: Session, scope: str, key: str, actor: str) -> bool:
    """An administrator lifts the lock (and the count) of a 工号 or an address; audited as
    ``web_login_unlock``. False if there was nothing to release. Never commits."""
    if scope not in SCOPES:
        raise ValueError(scope)
    key = account_key(key) if scope == ACCOUNT else key.strip()[:128]
    result = session.execute(
        delete(SignInAttempt).where(SignInAttempt.scope == scope, SignInAttempt.key == key)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(session, actor, "web_login_unlock", "sign_in", f"{scope}:{key}")
    return True


class RefusalAudit:
    """Which refusals of a locked sign-in reach the audit log: the first for each lock and
    address, then at most one per ``every`` carrying the count since. A flood against a locked
    account must neither write a row per request (the call path writes to the same database)
    nor bury the audit log in noise. Kept per process, in memory; thread-safe."""

    def __init__(self, every: timedelta = timedelta(minutes=1), keep: int = 10_000) -> None:
        self.every = every
        self.keep = keep
        self._seen: dict[tuple[str, str, str, datetime], tuple[datetime, int]] = {}
        self._mutex = threading.Lock()

    def due(self, lock: Lock, address: str, now: datetime) -> int | None:
        """How many refusals to write now (this one included), or None to stay quiet."""
        key = (lock.scope, lock.key, address, lock.until)
        with self._mutex:
            last, quiet = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.every:
                self._seen[key] = (last, quiet + 1)
                return None
            if len(self._seen) >= self.keep:
                self._seen = {k: v for k, v in self._seen.items() if k[3] > now}
            self._seen[key] = (now, 0)
            return quiet + 1


class ChecksBusy(Exception):
    """Every password-check slot stayed taken for the whole wait: the sign-in is refused."""


# The nice value of the threads that check passwords (0 is normal, 19 the lowest priority).
CHECK_NICENESS = 10


def _lower_priority() -> None:
    """Run this thread, and the threads it starts, below the call path's priority. Argon2
    spreads one check over a thread per lane (4 by default: every core of a small server);
    those threads inherit this thread's nice value, so the call path's threads win the CPU."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICENESS)


class CheckGate:
    """At most ``concurrent`` password checks at once in this process, in threads of lower CPU
    priority. Argon2 is CPU-heavy by design; without a bound, a flood of sign-ins takes every
    core and the call path's API (the FastAGI server's call events) waits behind it. Waiting
    takes no thread (an asyncio semaphore), and a sign-in that cannot get a slot within
    ``wait_seconds`` is refused as busy rather than queued without end. The bound is per
    process; the lock state is shared."""

    def __init__(self, concurrent: int = 1, wait_seconds: float = 3.0) -> None:
        self._slots = asyncio.Semaphore(concurrent)
        self.wait_seconds = wait_seconds
        self._threads = ThreadPoolExecutor(
            concurrent, thread_name_prefix="password-check", initializer=_lower_priority
        )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one check slot; raises ``ChecksBusy`` if none frees within the wait."""
        if not self._slots.locked():
            await self._slots.acquire()
        else:
            try:
                await asyncio.wait_for(self._slots.acquire(), self.wait_seconds)
            except TimeoutError as exc:
                raise ChecksBusy from exc
        try:
            yield
        finally:
            self._slots.release()

    async def run(self, check: Callable[[], T]) -> T:
        """``check()`` (the sign-in with its password check) in a slot, on a low-priority
        thread; raises ``ChecksBusy`` if no slot frees within the wait."""
        async with self.slot():
            return await asyncio.get_running_loop().run_in_executor(self._threads, check)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[str]) -> str:
    """The address a sign-in is counted against: the TCP peer, unless the peer is a trusted
    reverse proxy; then the right-most ``X-Forwarded-For`` entry that is not itself trusted
    (entries left of it were written by the client and prove nothing)."""
    networks = []
    for entry in trusted:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue

    def is_trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in networks)

    address = peer or "unknown"
    if not networks or not is_trusted(address) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if not is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address  # a malformed hop: count against the proxy rather than guess
    return address
