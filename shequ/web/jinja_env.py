"""The Jinja2 environment of the grid's cell templates (settings.TEMPLATES): a name that is
not in the context is an error, never an empty string in a figure's cell."""

from jinja2 import Environment, StrictUndefined


def environment(**options) -> Environment:
    # Django's backend sets a lenient `undefined` by default; the cells want the strict one.
    return Environment(**{**options, "undefined": StrictUndefined})
