"""How values read in the JSON the commands and the API print: numbers as JSON numbers,
moments in the deployment's time zone."""

from decimal import Decimal

from django.utils import timezone


def json_number(value):
    """A Decimal as a JSON number; anything else (int, float, None) as it is."""
    return float(value) if isinstance(value, Decimal) else value


def json_default(value):
    """The `default` of a JSON encoder (orjson) for what it cannot write itself: a Decimal
    as `json_number` writes it; any other such value is an error, as in json.dumps."""
    if isinstance(value, Decimal):
        return json_number(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_moment(value) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")
