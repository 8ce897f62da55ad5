"""Changing many rows with one audit row each, in the change's transaction: a city import
writes 11,000 ledger rows and their 11,000 audit rows.

The rows go CHUNK at a time. On PostgreSQL a chunk is copied (COPY) into a temporary
table, each row's new values beside its audit entry, and three statements are sent in
psycopg's pipeline mode without waiting for them: UPDATE the rows from the table, INSERT
their audit rows from it, empty it. The server writes the chunk (most of that is the
audit table's nine indexes) while Python works out the next one; the write waits for the
server before the next COPY, which cannot run in a pipeline, and at its end. Written one
after the other, the server's share of a city import (a third of the write) overlapped
nothing. Each chunk's rows are updated before their audit rows are inserted.

Elsewhere (SQLite) each chunk goes through `update_rows` and `audit_records_bulk`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from django.db import models, transaction
from django.utils import timezone

from shequ.core.actors import Actor
from shequ.core.audit import AuditEntry, audit_reason, audit_records_bulk, audit_user_id
from shequ.core.bulk import json_texts, prepared_values, update_rows
from shequ.core.models import AuditEvent

# Rows sent at a time: enough for each round trip to carry real work, few enough that
# the last chunk, whose writing nothing overlaps, stays short.
CHUNK = 2_000

# The audit columns every row of the write shares (given once), then an entry's own,
# which the temporary table holds as audit_target_id, … beside the row's new values.
_SHARED_COLUMNS = ("at", "user", "actor", "action", "target_type", "reason")
_ENTRY_COLUMNS = ("target_id", "region_path", "summary", "changes")
# An entry's place in the write: its audit row is inserted in that order.
_POSITION = "audit_position"


class AuditedUpdates:
    """UPDATE rows of `model` by primary key with new values of `field_names`, and record an
    audit row for each. A context manager:

        with AuditedUpdates(LedgerRow, names, actor=…, action=…, target_type=…, reason=…) as w:
            w.add((row.pk, *new_values), AuditEntry(row.pk, path, summary, changes))
        w.written  # how many rows

    Must run inside the transaction of the change. Rows sent are written while the block
    goes on; a query in between waits for them."""

    def __init__(
        self,
        model: type[models.Model],
        field_names: Sequence[str],
        *,
        actor: Actor,
        action: str,
        target_type: str,
        reason: str,
    ):
        self.model, self.field_names = model, tuple(field_names)
        self.actor, self.action, self.target_type = actor, action, target_type
        self.reason = audit_reason(reason)  # refused before the first row is written
        self.at = timezone.now()  # one moment for the whole write, as it is one transaction
        self.written = 0
        self._rows: list[Sequence] = []
        self._entries: list[AuditEntry] = []
        self._connection = transaction.get_connection()
        self._table: str | None = None  # PostgreSQL: the temporary table, once made
        self._in_flight = contextlib.ExitStack()  # the pipeline of the chunk last sent

    def __enter__(self) -> AuditedUpdates:
        if not self._connection.in_atomic_block:
            raise RuntimeError("AuditedUpdates must run inside the transaction of its change")
        return self

    def add(self, values: Sequence, entry: AuditEntry) -> None:
        """One row: its primary key, then its new values in `field_names`' order."""
        self._rows.append(values)
        self._entries.append(entry)
        if len(self._rows) >= CHUNK:
            self._send()

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            # Leave pipeline mode without hiding the failure; the transaction is rolled
            # back, and the temporary table with it.
            self._in_flight.__exit__(exc_type, exc, traceback)
            return
        try:
            self._send()
            self._wait_for_sent()
        except BaseException as error:
            self._in_flight.__exit__(type(error), error, error.__traceback__)
            raise
        if self._table is not None:
            with self._connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {self._table}")

    def _send(self) -> None:
        rows, entries = self._rows, self._entries
        if not rows:
            return
        self._rows, self._entries = [], []
        if self._connection.vendor == "postgresql":
            self._send_to_postgresql(rows, entries)
        else:
            update_rows(self.model, self.field_names, rows)
            audit_records_bulk(
                actor=self.actor,
                action=self.action,
                target_type=self.target_type,
                reason=self.reason,
                entries=entries,
                at=self.at,
            )
        self.written += len(rows)

    def _wait_for_sent(self) -> None:
        """Wait for the statements of the chunk last sent; an error of theirs is raised
        here, as Django's (IntegrityError, OperationalError, …) like any query's."""
        with self._connection.wrap_database_errors:
            self._in_flight.close()

    def _send_to_postgresql(self, rows: list[Sequence], entries: list[AuditEntry]) -> None:
        self._wait_for_sent()  # usually done: the server had this chunk's working out
        with self._connection.cursor() as cursor:
            if self._table is None:
                self._table = self._make_table(cursor)
            with self._connection.wrap_database_errors:
                with cursor.copy(f"COPY {self._table} FROM STDIN") as copy:
                    for values in self._copied(rows, entries):
                        copy.write_row(values)
                self._in_flight.enter_context(self._connection.connection.pipeline())
            for statement, params in self._statements():
                cursor.execute(statement, params)

    def _copied(self, rows: list[Sequence], entries: list[AuditEntry]) -> Iterator[tuple]:
        """Each row's values as the driver takes them, then its entry and its position."""
        meta = self.model._meta
        fields = [meta.pk, *(meta.get_field(name) for name in self.field_names)]
        stored = [entry.stored() for entry in entries]
        changes = json_texts(
            AuditEvent._meta.get_field("changes"), [changes for *_, changes in stored]
        )
        prepared = prepared_values(fields, rows, self._connection)
        for position, (values, (target_id, path, summary, _), change) in enumerate(
            zip(prepared, stored, changes, strict=True)
        ):
            yield (*values, target_id, path, summary, change, position)

    def _make_table(self, cursor) -> str:
        """A temporary table of the written columns, with the model's own types (such as
        numeric(9, 1)), and of an audit entry's; dropped at the end, or with the
        transaction if it fails."""
        quote = self._connection.ops.quote_name
        meta = self.model._meta
        table = quote(f"audited_{meta.db_table}")
        names = [meta.pk.column, *(meta.get_field(name).column for name in self.field_names)]
        columns = [f"model.{quote(name)}" for name in names]
        columns += [f"audit.{quote(name)} AS {quote('audit_' + name)}" for name in _ENTRY_COLUMNS]
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table} AS SELECT {', '.join(columns)}, "
            f"0 AS {quote(_POSITION)} FROM {quote(meta.db_table)} AS model, "
            f"{quote(AuditEvent._meta.db_table)} AS audit WITH NO DATA"
        )
        return table

    def _statements(self) -> list[tuple[str, list | None]]:
        """UPDATE the rows, INSERT their audit rows in the order they were added, empty the
        temporary table."""
        quote = self._connection.ops.quote_name
        meta = self.model._meta
        target, key = quote(meta.db_table), quote(meta.pk.column)
        assignments = ", ".join(
            f"{column} = new.{column}"
            for column in (quote(meta.get_field(name).column) for name in self.field_names)
        )
        audit = AuditEvent._meta
        shared = [audit.get_field(name) for name in _SHARED_COLUMNS]
        written = [*shared, *(audit.get_field(name) for name in _ENTRY_COLUMNS)]
        columns = ", ".join(quote(field.column) for field in written)
        # Typed: an untyped NULL (a command-line actor's user) would be taken for text.
        given = ", ".join(f"CAST(%s AS {field.db_type(self._connection)})" for field in shared)
        entry = ", ".join(f"new.{quote('audit_' + name)}" for name in _ENTRY_COLUMNS)
        shared_values = [
            self.at,
            audit_user_id(self.actor),
            self.actor.label,
            self.action,
            self.target_type,
            self.reason,
        ]
        return [
            (
                f"UPDATE {target} SET {assignments} FROM {self._table} AS new "
                f"WHERE {target}.{key} = new.{key}",
                None,
            ),
            (
                f"INSERT INTO {quote(audit.db_table)} ({columns}) "
                f"SELECT {given}, {entry} FROM {self._table} AS new "
                f"ORDER BY new.{quote(_POSITION)}",
                shared_values,
            ),
            (f"TRUNCATE {self._table}", None),
        ]
