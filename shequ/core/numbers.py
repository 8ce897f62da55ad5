"""The range a stored number has, read from its model field, so that a service checking a
figure and an API schema documenting it say what the database column holds (one source:
`max_digits` and `decimal_places`), instead of a second copy of the limit."""

from __future__ import annotations

from decimal import Decimal

from django.db import models


def decimal_field_max(model: type[models.Model], name: str) -> Decimal:
    """The largest value the model's DecimalField `name` stores: Decimal(9, 1) → 99999999.9."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.DecimalField), name
    places = field.decimal_places
    return (Decimal(10) ** (field.max_digits - places) - 1) + (1 - Decimal(10) ** -places)


def decimal_field_step(model: type[models.Model], name: str) -> Decimal:
    """The smallest step of the model's DecimalField `name`: Decimal(9, 1) → 0.1."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.DecimalField), name
    return Decimal(1).scaleb(-field.decimal_places)
