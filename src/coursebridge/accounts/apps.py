from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "coursebridge.accounts"
    label = "accounts"
