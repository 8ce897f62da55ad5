"""Pausing Python's search for reference cycles while a city's worth of objects is built.

Every object of an import's plan is alive until the plan is done, so each pass of the
cycle collector over them finds nothing, and a city's rows set off many passes (more in
a web worker, whose collector runs far more often).
Reference counting still frees whatever is dropped at once; only the search for cycles
waits until the work is done.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def without_cycle_search(function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` with the cycle collector paused (restored after, even on error)."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused
