"""How values read in the JSON the commands and the API print: numbers as JSON numbers,
moments in the deployment's time zone."""

from decimal import Decimal

from django.utils import timezone


def json_number(value):
    """A Decimal as a JSON number; anything else (int, float, None) as it is."""
    return float(value) if isinstance(value, Decimal) else value


# The `default` of a JSON encoder (orjson) for what it cannot write itself: the ledger's
# Decimals, as json_number writes them. It is float itself, a C call: orjson calls it for
# each of a city's 90,000 figures, where a Python function would be called as often.
# Whatever float() does not take is an error, as in json.dumps.
json_default = float


def json_moment(value) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")
