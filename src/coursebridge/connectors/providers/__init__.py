"""One package per provider (client.py, schemas.py, mapping.py, provider.py) on the protocol of base.py."""
