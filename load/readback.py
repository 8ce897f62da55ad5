"""After the load: every value the street users wrote, read back from the database.

`compare` is pure (tested in tests/test_load_readback.py); `main` reads the database with
the app's own models and prints one JSON document."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Write:
    """One save as the client saw it: the row, the unique value sent, the HTTP status
    (0 when no answer came)."""

    row: int
    value: str
    status: int

    @property
    def acknowledged(self) -> bool:
        return self.status == 200


@dataclass
class Readback:
    writes: int
    acknowledged: int
    lost: int  # acknowledged, yet not recorded once in the row's history
    doubled: int  # recorded more than once
    stray: int  # recorded, but never sent (by this run)
    final_mismatch: int  # rows whose stored value is not the last one acknowledged
    unacknowledged_landed: int  # no answer or an error, but saved all the same

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.stray or self.final_mismatch)


def compare(
    writes: list[Write], recorded: list[tuple[int, str]], final: dict[int, str]
) -> Readback:
    """`recorded`: (row, value) for each change of the value in the audit trail; `final`:
    each row's stored value. Each row belongs to one simulated user, who saves in order,
    so the last write logged for a row is the one that must be stored."""
    counts = Counter(recorded)
    sent = {(w.row, w.value) for w in writes}
    acknowledged = [w for w in writes if w.acknowledged]
    last: dict[int, str] = {}
    for w in acknowledged:
        last[w.row] = w.value
    return Readback(
        writes=len(writes),
        acknowledged=len(acknowledged),
        lost=sum(1 for w in acknowledged if counts[(w.row, w.value)] == 0),
        doubled=sum(1 for key, n in counts.items() if n > 1 and key in sent),
        stray=sum(1 for key in counts if key not in sent),
        final_mismatch=sum(1 for row, value in last.items() if final.get(row) != value),
        unacknowledged_landed=sum(
            1 for w in writes if not w.acknowledged and counts[(w.row, w.value)] > 0
        ),
    )


def read_writes(path: Path) -> list[Write]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [Write(**json.loads(line)) for line in lines if line.strip()]


def _database(rows: set[int], field: str) -> tuple[list[tuple[int, str]], dict[int, str]]:
    from shequ.core.models import AuditEvent
    from shequ.ledger.models import LedgerRow

    events = AuditEvent.objects.filter(
        target_type="ledger_row", target_id__in=[str(r) for r in rows]
    ).values_list("target_id", "changes")
    recorded = [(int(target), changes[field][1]) for target, changes in events if field in changes]
    final = dict(LedgerRow.objects.filter(pk__in=rows).values_list("pk", field))
    return recorded, final


def _submitted(period: str) -> dict[str, str]:
    from shequ.ledger.models import Submission

    return dict(Submission.objects.filter(period__code=period).values_list("street__code", "state"))


def main(log: Path, period: str, field: str) -> dict:
    import django

    django.setup()
    writes = read_writes(log)
    recorded, final = _database({w.row for w in writes}, field)
    result = compare(writes, recorded, final)
    states = _submitted(period)
    return {
        **asdict(result),
        "ok": result.ok,
        "streets": len(states),
        "streets_submitted": sum(1 for s in states.values() if s == "submitted"),
    }


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequ.settings")
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3])))
