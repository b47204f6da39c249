"""OpenClassrooms: the assumed partner API (docs/connectors/openclassrooms.md) lives in client.py
and schemas.py only, so a correction to the wire format is made in one place."""
