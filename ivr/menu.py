"""The IVR menu, read from ``config/ivr-menu.yaml`` and checked before any call meets it."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, field_validator, model_validator

from callmodel.calltypes import CallType
from callmodel.yaml_files import yaml_mapping

KEY_PATTERN = re.compile(r"^[0-9*#]$")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")
REQUIRED_PROMPTS = ("welcome", "menu", "invalid")
# Prompts the dialplan's urgent path plays; a site menu without them gets these texts.
URGENT_PROMPTS = {
    "transfer_emergency": "正在为您转接110，请稍候。",
    "emergency_failed": "110线路忙，正在为您转接话务员，请稍候。",
}
# Pieces of what a queued caller is told (queues.conf): "您现在排在第 3 位。预计等待时间约 2
# 分钟。感谢您的耐心等待" — the numbers said by Asterisk from its own queue statistics, in
# Chinese (hotline.say). A site menu without them gets these texts.
QUEUE_PROMPTS = {
    "queue_next": "您是下一位，请稍候。",
    "queue_position": "您现在排在第",
    "queue_position_after": "位。",
    "queue_holdtime": "预计等待时间约",
    "queue_minutes": "分钟。",
    "queue_seconds": "秒。",
    "queue_wait": "话务员正忙，请您稍候。",
    # 虚拟排队 (queue_callback_key): offered after each announcement of the caller's place.
    "queue_callback_offer": (
        "话务员正忙。如不想等待，请按9，挂机后我们为您保留排队位置，轮到您时回电。"
    ),
    "queue_callback_kept": "已为您保留排队位置，请挂机，轮到您时话务员将给您回电。",
    "queue_callback_refused": "抱歉，您的号码无法回电，请继续等待。",
    # After the queue's max_wait_seconds.
    "queue_waited_long": "您已等待较长时间，非常抱歉。留言请按3，继续等待请不要挂机。",
    "queue_message_start": "请在提示音后说出您的问题，说完请挂机。",
    "queue_message_thanks": "您的留言已记录，我们将尽快给您回电。再见。",
}

# What a caller on the harassment blocklist hears (docs/hotline-rules.md, "Call-emergency plan");
# a site menu may word it otherwise.
PLAN_PROMPTS = {
    "blocklisted": "您的号码因骚扰热线已被限制呼入，本次通话已录音。如有紧急情况，请直接拨打110。",
}


class RouteKind(StrEnum):
    EMERGENCY = "emergency"
    QUEUE = "queue"


class MenuOption(BaseModel):
    route: RouteKind
    label: str
    queue: str | None = None
    call_type: CallType | None = None

    @model_validator(mode="after")
    def _queue_only_for_queue_routes(self) -> Self:
        if self.route is RouteKind.QUEUE and not self.queue:
            raise ValueError(f"选项“{self.label}”转人工但没有指定队列 (queue)")
        if self.route is RouteKind.EMERGENCY and self.queue:
            raise ValueError(f"选项“{self.label}”是紧急求助，不能同时指定队列")
        return self


class QueueSpec(BaseModel):
    label: str
    priority: int = 0
    # Seconds between announcements of the caller's place and expected wait, the first on
    # entry; 0 for none (a queue whose callers are answered at once).
    announce_seconds: int = Field(45, ge=0, le=600)
    # The longest a caller waits before being offered a kept place or a voice message; 0 for
    # no limit.
    max_wait_seconds: int = Field(600, ge=0, le=3600)

    @field_validator("announce_seconds")
    @classmethod
    def _not_over_the_caller(cls, value: int) -> int:
        if 0 < value < 15:
            raise ValueError("排队播报间隔至少 15 秒（0 为不播报）")
        return value

    @field_validator("max_wait_seconds")
    @classmethod
    def _a_wait_worth_the_name(cls, value: int) -> int:
        if 0 < value < 15:
            raise ValueError("最长等待至少 15 秒（0 为不限）")
        return value


class MenuTiming(BaseModel):
    timeout_seconds: float = Field(5, gt=0, le=60)
    max_attempts: int = Field(3, ge=1, le=10)


class Menu(BaseModel):
    """A validated menu: every key, queue and prompt it names exists."""

    prompts: dict[str, str]
    menu: MenuTiming = MenuTiming()
    options: dict[str, MenuOption]
    default_queue: str
    queues: dict[str, QueueSpec]
    emergency_fallback_priority: int = Field(100, ge=1)
    # 虚拟排队: the key a queued caller presses to hang up and keep their place, the hotline
    # calling back when it is their turn; None for none. How long a kept place is held.
    queue_callback_key: str | None = Field("9", pattern=r"^[0-9]$")
    queue_callback_hold_seconds: int = Field(3600, ge=60, le=4 * 3600)

    @model_validator(mode="after")
    def _callback_offer_says_its_key(self) -> Self:
        key = self.queue_callback_key
        offer = self.prompts.get("queue_callback_offer", QUEUE_PROMPTS["queue_callback_offer"])
        if key is not None and key not in offer:
            raise ValueError(f"提示音 queue_callback_offer 应说出保留位置回电的按键 {key}")
        return self

    @model_validator(mode="after")
    def _urgent_prompts(self) -> Self:
        for name, text in (URGENT_PROMPTS | QUEUE_PROMPTS | PLAN_PROMPTS).items():
            self.prompts.setdefault(name, text)
        return self

    @model_validator(mode="after")
    def _references_exist(self) -> Self:
        problems: list[str] = []
        for name in REQUIRED_PROMPTS:
            if name not in self.prompts:
                problems.append(f"缺少提示音 {name}")
        for name in self.prompts:
            if not NAME_PATTERN.match(name):
                problems.append(f"提示音名称 {name!r} 只能用小写字母、数字、-、_")
        for name in self.queues:
            if not NAME_PATTERN.match(name):
                problems.append(f"队列名称 {name!r} 只能用小写字母、数字、-、_")
        for key, option in self.options.items():
            if not KEY_PATTERN.match(key):
                problems.append(f"按键 {key!r} 不是单个 0-9、* 或 #")
            if option.queue and option.queue not in self.queues:
                problems.append(f"按键 {key} 指向不存在的队列 {option.queue}")
        if self.default_queue not in self.queues:
            problems.append(f"默认队列 {self.default_queue} 不存在")
        if not any(o.route is RouteKind.EMERGENCY for o in self.options.values()):
            problems.append("菜单必须有一个紧急求助 (110) 选项")
        if problems:
            raise ValueError("；".join(problems))
        return self

    @property
    def emergency_keys(self) -> str:
        return "".join(k for k, o in self.options.items() if o.route is RouteKind.EMERGENCY)


def parse_menu(text: str) -> Menu:
    """Validate menu YAML text; raises ``ValueError`` saying what is wrong, in Chinese."""
    return Menu.model_validate(yaml_mapping(text, "菜单文件"))


def load_menu(path: Path) -> Menu:
    return parse_menu(path.read_text(encoding="utf-8"))
