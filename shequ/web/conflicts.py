"""A save refused because someone saved first (`core.versions.StaleEdit`, ADR 0040), as a
page answers it: 409, the form keeping everything the user typed, the current values
beside theirs (`web/_conflict.html`), and the form carrying the current version, so that
sending it again saves what they typed — after they have seen what it replaces."""

from __future__ import annotations

from django import forms
from django.http import QueryDict

CONFLICT_STATUS = 409


def version_field() -> forms.IntegerField:
    """The version the page was drawn with, sent back with the form."""
    return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


def track_changes(form: forms.BaseForm) -> None:
    """Each field sends back the value it was drawn with (Django's hidden initial), so that
    a save knows which fields this user changed: the others follow what is stored."""
    for field in form.fields.values():
        if not isinstance(field.widget, forms.HiddenInput):
            field.show_hidden_initial = True


def edited(form: forms.BaseForm) -> set[str]:
    """The fields the user changed on the page (the version is not one of them)."""
    return {name for name in form.changed_data if name != "version"}


def rebased(posted: forms.BaseForm, current: forms.BaseForm) -> QueryDict:
    """After a conflict: the posted form keeping what the user changed, every other field
    and every drawn-with value taken from `current` (a form drawn from what is stored now,
    with its version) — sent again, it puts their changes on top of the current values."""
    data = posted.data.copy()
    changed = edited(posted)
    for name, field in current.fields.items():
        value = current[name].value()
        text = "" if value is None else str(value)
        if name not in changed:
            data[current.add_prefix(name)] = text
        if field.show_hidden_initial:
            data[current.add_initial_prefix(name)] = text
    return data
