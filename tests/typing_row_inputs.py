"""Types only: every kind of row the ledger's rules are given is a `rules.RowInputs`.

mypy checks this module strictly in `make test` (pyproject.toml, [tool.mypy]); nothing runs
it. Each function below fails to type-check if its row type stops having one of the
Protocol's attributes with a type the rules can read.
"""

from shequ.ledger.importing.plan import _Values
from shequ.ledger.models import LedgerRow
from shequ.ledger.records import RowRecord
from shequ.ledger.rules import RowInputs
from tests.test_ledger_rules import Row


def ledger_row(row: LedgerRow) -> RowInputs:
    """The model: the grid, the API, the services, the CSV export, the dashboards."""
    return row


def row_record(row: RowRecord) -> RowInputs:
    """A period's rows read as records: the workbook export, the import's stored rows."""
    return row


def either(row: LedgerRow | RowRecord) -> RowInputs:
    """The readers that take both (ledger.rows, ledger.export, ledger.queries)."""
    return row


def planned_values(row: _Values) -> RowInputs:
    """The import's dry run: a row's planned values, and its last approved ones."""
    return row


def rules_test_row(row: Row) -> RowInputs:
    """The rules' own tests."""
    return row


# Read as attributes of a SimpleNamespace (ledger.rows.carried_forward_rows, scale.ledgers)
# or through __getattr__ (ledger.importing.values._AsImported), whose attributes mypy
# types as Any: they satisfy the Protocol without saying what they hold.
