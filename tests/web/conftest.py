"""Browser tests: a real hotline (Asterisk chroot, FastAGI, CRM — tests/support/instance.py),
sipp as citizens and agents' phones, and Debian's headless Chromium driven by Playwright.

Screenshots of each console go to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from crm import db
from crm.accounts.services import set_account
from crm.domain.access import Role
from tests.asr.conftest import ko_model_dir
from tests.integration.conftest import Hotline
from tests.support.instance import AGENT_ONE, AGENT_TWO, isolated_hotline

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "web-test-password-1"
USERS = {
    "agent1": ([Role.AGENT], "王芳", AGENT_ONE),
    "leader1": ([Role.SHIFT_LEADER], "张值班", None),
    "qc1": ([Role.SUPERVISOR], "李质检", None),
    "qc2": ([Role.SUPERVISOR], "周质检", AGENT_TWO),  # listens on the second desk phone
    "admin1": ([Role.ADMIN], "赵管理", None),
    "boss1": ([Role.HOTLINE_LEADER], "孙负责", None),
    "rev1": ([Role.REVIEWER], "钱审核", None),
}


@pytest.fixture(scope="session")
def hotline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hotline]:
    """The browser tests' own hotline (transcribing with the test model), with an RTP range of
    its own: the integration tests' hotline may still be up in the same session."""
    speech = {"model_dir": str(ko_model_dir()), "workers": 1, "job_poll_seconds": 0.5}
    with isolated_hotline(
        tmp_path_factory.mktemp("web-hotline"), asr=speech, rtp_start=42000, rtp_end=42398
    ) as instance:
        yield Hotline.of(instance)


@pytest.fixture(scope="session")
def staff(hotline: Hotline) -> dict[str, str]:
    engine = db.make_engine(hotline.settings.db_url)
    with db.transaction(db.make_sessionmaker(engine)) as session:
        for name, (roles, display, extension) in USERS.items():
            set_account(session, name, PASSWORD, roles, display_name=display, extension=extension)
    engine.dispose()
    return {name: PASSWORD for name in USERS}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Console:
    """One signed-in person's browser tab."""

    def __init__(self, browser: Browser, hotline: Hotline, username: str) -> None:
        # Playwright's string predicates (wait_for_function) are evaluated with eval, which the
        # consoles' Content-Security-Policy forbids; the harness bypasses it for its own probes.
        # test_agent_console's CSP test opens the consoles with the policy enforced.
        self.context = browser.new_context(
            viewport={"width": 1366, "height": 768}, locale="zh-CN", bypass_csp=True
        )
        self.page: Page = self.context.new_page()
        self.base = hotline.settings.crm_url
        self.page.goto(f"{self.base}/web/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")

    def open(self, path: str) -> Page:
        self.page.goto(f"{self.base}{path}")
        self.page.wait_for_function("document.getElementById('link-state')?.className === 'dot on'")
        return self.page

    def frames(self) -> list[str]:
        return list(self.page.evaluate("Live.frames"))

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def console(browser: Browser, hotline: Hotline, staff: dict[str, str]):  # type: ignore[no-untyped-def]
    opened: list[Console] = []

    def make(username: str) -> Console:
        tab = Console(browser, hotline, username)
        opened.append(tab)
        return tab

    yield make
    for tab in opened:
        tab.close()
