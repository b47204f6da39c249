"""The server-rendered pages, one module per area; web/urls.py maps them."""
