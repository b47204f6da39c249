"""Parts of the demo that live in apps the academy never imports (the marketplace, the provider's
side): each registers its loader here when Django starts (its AppConfig.ready), and the academy's
demo runs them after its own. The two sides stay apart; the demo still shows both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Login = tuple[str, str, str]  # (role, name, secret) as the demo prints them


@dataclass(frozen=True)
class DemoPart:
    name: str
    load: Callable[[], list[Login]]
    delete: Callable[[], None]


DEMO_PARTS: dict[str, DemoPart] = {}


def demo_part_register(part: DemoPart) -> None:
    DEMO_PARTS[part.name] = part


def demo_parts_load() -> list[Login]:
    """Load every registered part, in the order they registered; returns their logins."""
    logins: list[Login] = []
    for part in DEMO_PARTS.values():
        logins += part.load()
    return logins


def demo_parts_delete() -> None:
    for part in DEMO_PARTS.values():
        part.delete()
