from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shequ.accounts"
    label = "accounts"
    verbose_name = "用户"

    def ready(self):
        from shequ.accounts import mail_failures, security_log

        security_log.connect()
        mail_failures.connect()
