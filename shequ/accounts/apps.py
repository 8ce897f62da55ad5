from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shequ.accounts"
    label = "accounts"
    verbose_name = "用户"

    def ready(self):
        from shequ.accounts.security_log import connect

        connect()
