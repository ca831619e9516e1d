"""One settings object for every hotline process.

Values come, in increasing priority, from the defaults below, a YAML file (``HOTLINE_CONFIG``,
default ``var/hotline.yaml``) and ``HOTLINE_*`` environment variables. Every process of one
hotline (Asterisk's rendered config, the FastAGI server, the CRM) reads the same file, so a test
can run a whole isolated hotline by writing one file with other ports and folders.

This module must never open sockets or touch the database: it only describes.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from asr.settings import AsrSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DIALPLAN_TEMPLATES = PROJECT_ROOT / "dialplans"
# The hotline's state (databases, recordings, logs, the settings file): never in the code's
# folder, which an upgrade or a fresh clone replaces.
DEFAULT_VAR_DIR = Path("/var/lib/hotline")
# Where the state was before; an instance found there is moved once (hotlinectl/relocate.py).
LEGACY_VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_CHROOT = Path("/var/cache/hotline/asterisk-sid")


def config_file() -> Path:
    """The YAML file this process reads; tests point ``HOTLINE_CONFIG`` at their own."""
    return Path(os.environ.get("HOTLINE_CONFIG", DEFAULT_VAR_DIR / "hotline.yaml"))


class AgentSettings(BaseModel):
    """An agent's phone: a PJSIP endpoint the queues ring.

    ``contact`` is a fixed SIP URI for phones that do not register (test phones, desk phones
    provisioned by address); without it the phone registers with ``password``.
    """

    extension: str
    name: str
    skills: list[str] = Field(default_factory=lambda: ["general"])
    password: str | None = None
    contact: str | None = None


class EmergencySettings(BaseModel):
    """Where urgent calls go: the city emergency command centre (110).

    A caller in danger must not ring for long into nothing: each try rings for
    ``dial_timeout_seconds`` while the caller hears 正在为您转接110; the next try follows after
    that message is said once more (a spaced retry, not an instant one after a busy); after
    ``attempts`` the caller is told 110 is busy and heads the general queue.
    """

    number: str = "110"
    contact: str = "sip:110@127.0.0.1:5070"
    dial_timeout_seconds: int = Field(8, ge=3, le=30)
    attempts: int = Field(2, ge=1, le=5)


class TrunkSettings(BaseModel):
    """The carrier's SIP trunk: citizens' calls come from it, call-backs go out through it.

    ``match``: the addresses whose INVITEs are citizens' calls (default: the bind address, where
    a local SBC or the tests' sipp sends from). ``contact``: where outgoing calls go, e.g.
    ``sip:10.0.0.1:5060``; without it there are no call-backs.
    """

    match: list[str] = Field(default_factory=list)
    contact: str | None = None
    dial_timeout_seconds: int = 45


class CallbackSettings(BaseModel):
    """Numbers a call-back (回拨) may dial through the carrier trunk (callmodel/callback_numbers).

    ``allowed``: full-match patterns of national numbers (after a +86/0086 prefix is dropped):
    mainland mobiles, fixed lines with their area code, and the hotline's own area's local
    numbers (7–8 digits, not starting with 0 or 1). ``refused``: refused even if allowed —
    premium-rate and service numbers. International numbers (00…, + other than +86) are
    always refused.
    """

    allowed: list[str] = Field(
        default_factory=lambda: [r"1[3-9]\d{9}", r"0[1-9]\d{9,10}", r"[2-9]\d{6,7}"]
    )
    refused: list[str] = Field(
        default_factory=lambda: [
            r"1[0-2]\d*",  # short service codes: 110, 120, 12345, 10086 …
            r"106\d*",  # SMS service numbers
            r"1259\d*",  # premium-rate information services
            r"[48]00\d{7}",  # 400/800 enterprise service numbers
            r"9[56]\d{3,6}",  # 95xxx/96xxx national and local service numbers
        ]
    )


class RepairSettings(BaseModel):
    """Repeat repairs (重复报修, crm/domain/repairs.py): a help request of the same repair category
    at the same place within ``repeat_days`` of the first one's close counts as a repeat, raises
    the hotline leader's leader-visit alert and counts in the repeat-repair rate."""

    repeat_days: int = Field(30, ge=1, le=366)


class RetentionSettings(BaseModel):
    """How long personal information is kept (PIPL art. 19: no longer than the purpose needs),
    in days; ``hotline purge`` deletes what is older, every day. Nothing that belongs to an
    open order, a 举报 still under review or a call-back still owed is touched, whatever its
    age (crm/domain/retention.py). 0 means "as soon as the purge runs" (tests)."""

    # Supervisors review calls and citizens complain about them within months: half a year.
    recordings_days: int = Field(default=180, ge=0)
    # The transcript is the recording in text: the same period.
    transcripts_days: int = Field(default=180, ge=0)
    # Asterisk's call records (Master.csv): what the tickets do not already keep, half a year.
    cdr_days: int = Field(default=180, ge=0)
    # Full caller numbers on calls, tickets, call-backs and the caller register: repeat calls
    # within a year are linked (重复来电), after which the number is masked (138****1234).
    numbers_days: int = Field(default=365, ge=0)
    # Service logs (var/log, Asterisk's logs): enough to investigate a fault, one month.
    logs_days: int = Field(default=30, ge=0)


class SignInSettings(BaseModel):
    """How the consoles' sign-in resists guessing (crm/accounts/throttle.py) and when a session
    ends. Counters and locks live in the database, so every CRM worker of the hotline sees them.

    ``account_failures`` wrong passwords for one 工号 within ``window_minutes`` lock that 工号 for
    ``lockout_minutes``; ``address_failures`` (higher: an office shares one address) do the same
    for the client's address. A lock refuses even the right password until it runs out or an
    administrator releases it. The address is the TCP peer's; ``X-Forwarded-For`` is believed
    only from a ``trusted_proxies`` address or network (a reverse proxy in front of the CRM).
    ``concurrent_checks`` password checks (Argon2, CPU-heavy) run at once per CRM process; a
    sign-in that waits longer than ``check_wait_seconds`` for one is refused as busy, so a flood
    of sign-ins cannot starve the call path. A session unused for ``idle_minutes`` (no request,
    no open console) ends. A new password must reach zxcvbn's ``password_min_score`` (0–4).
    """

    account_failures: int = Field(5, ge=1)
    address_failures: int = Field(30, ge=1)
    window_minutes: float = Field(15, gt=0)
    lockout_minutes: float = Field(15, gt=0)
    trusted_proxies: list[str] = Field(default_factory=list)
    concurrent_checks: int = Field(1, ge=1)
    check_wait_seconds: float = Field(3.0, ge=0)
    idle_minutes: float = Field(60, gt=0)
    password_min_score: int = Field(3, ge=0, le=4)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_nested_delimiter="__")

    # Where this hotline keeps its state (database, rendered config, logs, prompts).
    var_dir: Path = DEFAULT_VAR_DIR
    # The chroot that holds Asterisk ("/" when Asterisk is installed natively).
    asterisk_root: Path = DEFAULT_CHROOT
    # The folder inside the chroot that belongs to this hotline instance.
    asterisk_instance_dir: Path = Path("/srv/hotline/default")
    # Asterisk's own system user, the same uid on the host and in the chroot (hotline/users.py).
    asterisk_user: str = "hotline-asterisk"
    # The user the CRM, FastAGI server and transcriber run as when started by root.
    service_user: str = "hotline"

    bind_address: str = "127.0.0.1"
    hotline_number: str = "12345"
    sip_port: int = 5060
    rtp_start: int = 10000
    rtp_end: int = 10999
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str = ""
    agi_port: int = 4573
    # Shared secret the FastAGI server presents to the CRM's call-event endpoint.
    crm_ingest_token: str = ""
    crm_port: int = 8000
    # /metrics and /healthz of the FastAGI server and the transcriber (the CRM's are on crm_port).
    agi_metrics_port: int = 9573
    transcriber_metrics_port: int = 9574
    # Asterisk's own metrics (res_prometheus) at http://<bind_address>:<port>/metrics, behind
    # basic authentication with this user and a generated secret.
    asterisk_metrics_port: int = 9575
    asterisk_metrics_user: str = "prometheus"
    asterisk_metrics_secret: str = ""

    database_url: str = ""
    ivr_menu_file: Path = CONFIG_DIR / "ivr-menu.yaml"
    # The site's own dialplan templates (edited in the admin console), read before the
    # shipped ones in dialplans/; default <var_dir>/dialplans.
    dialplan_dir: Path | None = None
    prompts_dir: Path | None = None
    # A folder of the site's own music on hold (.wav or .gsm, 8 kHz) heard between queue
    # announcements; without one, Debian's asterisk-moh-opsound in the Asterisk root.
    moh_dir: Path | None = None
    # The site's holiday and 调休 schedule (edited in the admin console), taking precedence over
    # the chinesecalendar package and the law; default <var_dir>/holidays.yaml, the shipped
    # config/holidays.yaml (no year) while the site has none.
    holidays_file: Path | None = None

    emergency: EmergencySettings = EmergencySettings()
    trunk: TrunkSettings = TrunkSettings()
    # Which numbers a call-back may dial (international and premium-rate numbers never).
    callback: CallbackSettings = CallbackSettings()
    # Speech: model directory, decoder workers, the IVR's speech invitation (asr/settings.py).
    asr: AsrSettings = AsrSettings()
    # How many days after a repair's close the same repair again is a repeat repair.
    repairs: RepairSettings = RepairSettings()
    # How long recordings, transcripts, CDR, numbers and logs are kept (PIPL).
    retention: RetentionSettings = RetentionSettings()
    # Console sign-in: throttle, lockout, idle timeout, password strength.
    sign_in: SignInSettings = SignInSettings()
    agents: list[AgentSettings] = Field(
        default_factory=lambda: [
            AgentSettings(extension="8001", name="话务员一", skills=["general", "consult", "help"]),
            AgentSettings(
                extension="8002", name="话务员二", skills=["general", "complaint", "suggestion"]
            ),
        ]
    )
    # Adds the dialplan-only baseline extensions the benchmarks compare against.
    benchmark_baseline: bool = False
    # Seconds the FastAGI server waits for the CRM before it keeps the ticket in its outbox.
    crm_timeout_seconds: float = 2.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            YamlConfigSettingsSource(
                settings_cls, yaml_file=config_file(), yaml_file_encoding="utf-8"
            ),
        )

    # The file these settings were read from; the services started with them read it too.
    _source: Path = PrivateAttr(default_factory=lambda: config_file())

    # Derived values -------------------------------------------------------------------------

    @property
    def source_file(self) -> Path:
        return self._source

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'hotline.db'}"

    @property
    def site_holidays_file(self) -> Path:
        """The site's holiday schedule (crm/orders/schedule.py), kept with the state."""
        return self.holidays_file or self.var_dir / "holidays.yaml"

    @cached_property
    def crm_url(self) -> str:
        return f"http://{self.bind_address}:{self.crm_port}"

    @cached_property
    def agi_url(self) -> str:
        return f"agi://{self.bind_address}:{self.agi_port}"

    def in_chroot(self, path: Path | str) -> Path:
        """The host path of a path Asterisk sees (recordings, prompts, spool)."""
        return self.asterisk_root / Path(path).relative_to("/")

    @cached_property
    def instance_host_dir(self) -> Path:
        """Where the host sees the instance's folder: inside the root, mounted from
        ``asterisk_state_dir`` while the hotline is set up."""
        return self.in_chroot(self.asterisk_instance_dir)

    @cached_property
    def asterisk_state_dir(self) -> Path:
        """Asterisk's state for this instance, kept with the hotline's other state."""
        if self.asterisk_root == Path("/"):
            return self.asterisk_instance_dir
        return self.var_dir / "asterisk"

    def state_path(self, path: Path | str) -> Path:
        """The host path of a path Asterisk sees, read from the state folder itself: right
        whether or not it is mounted into the root at the moment (the purge, a backup)."""
        path = Path(path)
        if path.is_relative_to(self.asterisk_instance_dir):
            return self.asterisk_state_dir / path.relative_to(self.asterisk_instance_dir)
        return self.in_chroot(path)

    @cached_property
    def cdr_file(self) -> Path:
        """Asterisk's call detail records (cdr_csv), on the host."""
        return self.asterisk_state_dir / "log" / "cdr-csv" / "Master.csv"

    @cached_property
    def recordings_dir(self) -> Path:
        """Where MixMonitor writes, as Asterisk sees it."""
        return self.asterisk_instance_dir / "recordings"

    @cached_property
    def utterances_dir(self) -> Path:
        """Where the IVR records what callers say, as Asterisk sees it."""
        return self.asterisk_instance_dir / "spool" / "utterances"

    @cached_property
    def asterisk_prompts_dir(self) -> Path:
        """Where the IVR prompts are, as Asterisk sees it."""
        return self.asterisk_instance_dir / "prompts"

    def dump_yaml_ready(self) -> dict[str, Any]:
        """Plain data for writing this configuration back to a YAML file."""
        return self.model_dump(mode="json", exclude_defaults=False)


def load_settings(**overrides: Any) -> Settings:
    """Read the settings afresh (no module-level cache: tests run several hotlines)."""
    return Settings(**overrides)
