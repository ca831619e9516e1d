"""Run the CRM: ``python -m crm`` (``hotline start`` does this for you)."""

from __future__ import annotations

import logging

import uvicorn

from crm.app import create_app
from hotline.settings import load_settings


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = load_settings()
    uvicorn.run(
        create_app(settings),
        host=settings.bind_address,
        port=settings.crm_port,
        log_level="info",
        # Every call sends several events: an access-log line each is noise, errors still log.
        access_log=False,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
