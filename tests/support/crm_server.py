"""The real CRM app served by uvicorn in a thread, on a free port, for tests."""

from __future__ import annotations

import threading
import time

import uvicorn

from crm.app import create_app
from hotline.asterisk import wait_for_port
from hotline.settings import Settings


class CrmServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.crm_port}"

    def start(self) -> CrmServer:
        app = create_app(self.settings, connect_ami=False)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.settings.crm_port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        assert wait_for_port("127.0.0.1", self.settings.crm_port, 20), "CRM did not start"
        while not self.server.started:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(10)
