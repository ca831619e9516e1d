"""Run the CRM: ``python -m crm`` (``hotline start`` does this for you)."""

from __future__ import annotations

import logging

import uvicorn

from crm.app import create_app
from hotline import logs
from hotline.settings import load_settings


def main() -> None:
    logs.configure(logging.INFO)
    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.bind_address,
        port=settings.crm_port,
        log_level="info",
        # Every call sends several events: an access-log line each is noise, errors still log.
        access_log=False,
        # uvicorn's loggers go through the hotline's masking format (hotline/logs.py).
        log_config=None,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
