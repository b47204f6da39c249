"""Providers by name. A provider module calls `register` when it is imported."""

from __future__ import annotations

from coursebridge.connectors.providers.base import Provider
from coursebridge.core.errors import DomainError

PROVIDERS: dict[str, Provider] = {}
PROVIDER_MODULES = (
    "coursebridge.connectors.providers.openclassrooms.provider",
    "coursebridge.connectors.providers.opensesame.provider",
)


def register(provider: Provider) -> Provider:
    PROVIDERS[provider.name] = provider
    return provider


def load_providers() -> None:
    import importlib

    for module in PROVIDER_MODULES:
        importlib.import_module(module)
    from coursebridge.connectors import launch

    launch.register()


def provider_get(name: str) -> Provider:
    provider = PROVIDERS.get(name)
    if provider is None:
        known = ", ".join(sorted(PROVIDERS)) or "none"
        raise DomainError(f"No provider named '{name}'. Known providers: {known}.", field="provider")
    return provider


def provider_choices() -> list[tuple[str, str]]:
    return [(p.name, p.label) for p in sorted(PROVIDERS.values(), key=lambda p: p.label)]
