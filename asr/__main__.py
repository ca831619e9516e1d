"""Entry point of ``python -m asr`` (see asr/cli.py)."""

from asr.cli import main

raise SystemExit(main())
