"""OpenSesame: its content API (docs/connectors/opensesame.md) lives in client.py and schemas.py only,
the mapping to courses in mapping.py (pure), the provider and its remote AICC units in provider.py,
the Control Panel's settings in settings.py and the signed push in webhook.py."""
