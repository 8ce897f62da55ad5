"""Who performs an action: a signed-in user, or the operator at the command line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMMAND_LINE = "命令行"


@dataclass(frozen=True)
class Actor:
    user: Any | None  # accounts.User; typed loosely so core does not import the accounts app
    label: str

    @classmethod
    def command_line(cls) -> Actor:
        return cls(user=None, label=COMMAND_LINE)

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(user=user, label=user.get_username())
