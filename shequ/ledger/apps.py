from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shequ.ledger"
    label = "ledger"
    verbose_name = "台账"
