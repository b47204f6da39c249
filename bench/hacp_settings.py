"""Settings of the server the HACP benchmark starts: the product's, with a URLconf that adds one
minimal view to compare with. Only the benchmark uses it (DJANGO_SETTINGS_MODULE=bench.hacp_settings)."""

from coursebridge.config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.hacp_urls"
