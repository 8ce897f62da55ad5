"""Read replicas for the reports: dashboards and summaries read from a PostgreSQL standby,
everything else from the primary (docs/decisions/0016-load-and-replicas.md).

Nothing goes to a replica unless a view asks for it with `replica_reads()`, and even then
not the tables a login depends on (a session just written on the primary may not have
reached the standby yet), nor anything read inside a transaction (it must see its own
writes). Writes and migrations always go to the primary.
"""

from __future__ import annotations

import contextlib
import functools
import random
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

# Apps whose rows decide who is logged in and what they may do: always the primary.
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "accounts", "axes", "contenttypes", "admin"})

_replica: ContextVar[str | None] = ContextVar("shequ_replica", default=None)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "REPLICA_DATABASES", []))


@contextlib.contextmanager
def replica_reads():
    """Route the reads in this block to one replica (picked once, so that one page reads
    one consistent snapshot); without replicas, a no-op."""
    aliases = replica_aliases()
    token = _replica.set(random.choice(aliases) if aliases else None)
    try:
        yield
    finally:
        _replica.reset(token)


def reads_from_replica(view):
    """A read-only view whose queries may go to a replica (see `replica_reads`)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        alias = _replica.get()
        if alias is None or model._meta.app_label in PRIMARY_ONLY_APPS:
            return None
        if connections["default"].in_atomic_block:
            return None
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Replicas hold the same rows as the primary: an object read from either may refer
        # to one read from the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Never a replica (a standby takes its schema from the primary); any other
        # database is a primary of its own, such as the one `shequ restore-drill` creates.
        return db not in replica_aliases()
