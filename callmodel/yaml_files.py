"""Site files in YAML (the IVR menu, the call-emergency plan), read the one way."""

from __future__ import annotations

from typing import Any

import yaml


def yaml_mapping(text: str, what: str) -> dict[str, Any]:
    """The mapping a site file holds; ``ValueError`` in Chinese naming the file (``what``) when
    it is not YAML or not a mapping, so an editor sees why a save was refused."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{what}不是合法的 YAML：{exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what}必须是一个映射 (mapping)")
    return data
