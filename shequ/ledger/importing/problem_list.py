"""An import's problems as the plan keeps them: the first LISTED_PROBLEMS of each severity
in full, the rest counted per field. A country's file with a wrong layout makes hundreds
of thousands of problems; held, written to the JSON document and drawn one by one they
cost memory and help no one, since the first ones already say what to fix.

Nothing the all-or-nothing rule needs is lost by counting (docs/decisions/0020): an error
past the list still refuses the whole file, and every row an error names is remembered
with its first message."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from shequ.ledger.fields import LABELS

LISTED_PROBLEMS = 10_000  # of each severity, errors and warnings apart


@dataclass(slots=True)  # a city's file makes tens of thousands
class Problem:
    # The import contract's keys of an error or a warning, in its order: the JSON document
    # writes a Problem as its fields (report.plan_document_bytes).
    sheet: str
    row: int | None
    column: str
    field: str  # the ledger field it concerns; "" for a whole row or sheet
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row:
            where += f" 第{self.row}行"
        if self.column:
            where += f" {self.column}列"
        return f"{where}：{self.message}"


@dataclass(slots=True)
class NotListed:
    """The import contract's "not_listed" item (its fields are the keys, in order): how many
    problems of one severity and one field were counted but not listed."""

    severity: str  # error, warning
    field: str
    count: int


class ProblemList:
    """The problems of one severity: `listed` holds the first LISTED_PROBLEMS, `not_listed`
    counts the others by field. No len() and no iteration on purpose: a caller says which
    it means, the listed problems or the `total`."""

    def __init__(self, *, marks_rows: bool = True) -> None:
        self.listed: list[Problem] = []
        self.not_listed: Counter[str] = Counter()
        # (sheet, row) → the message of the first problem naming it, listed or not: the
        # preview marks the rows errors name, and a refused row is skipped with that
        # message. Warnings mark nothing, and a country's file may have one a row.
        self._rows: dict[tuple[str, int | None], str] | None = {} if marks_rows else None

    def add(self, problem: Problem) -> None:
        if len(self.listed) < LISTED_PROBLEMS:
            self.listed.append(problem)
        else:
            self.not_listed[problem.field] += 1
        if self._rows is not None:
            self._rows.setdefault((problem.sheet, problem.row), problem.message)

    def extend(self, other: ProblemList) -> None:
        """`other`'s problems after this list's own, as if each had been added here."""
        for problem in other.listed:
            self.add(problem)
        self.not_listed.update(other.not_listed)
        if self._rows is not None and other._rows is not None:
            for key, message in other._rows.items():
                self._rows.setdefault(key, message)

    @property
    def total(self) -> int:
        return len(self.listed) + self.not_listed.total()

    def __bool__(self) -> bool:
        return bool(self.listed or self.not_listed)

    def names_row(self, sheet: str, row: int | None) -> bool:
        return (sheet, row) in self._marks()

    def first_message(self, sheet: str, row: int | None) -> str | None:
        """The message of the first problem naming the row, or None."""
        return self._marks().get((sheet, row))

    def _marks(self) -> dict[tuple[str, int | None], str]:
        if self._rows is None:
            raise RuntimeError("this list does not mark the rows its problems name")
        return self._rows

    def kinds_after(self, first: int) -> Counter[str]:
        """The problems after the first `first` listed ones (all the counted ones among
        them), counted by field: those a page showing `first` leaves out."""
        return Counter(p.field for p in self.listed[first:]) + self.not_listed


def not_listed_items(errors: ProblemList, warnings: ProblemList) -> list[NotListed]:
    """The contract's "not_listed": errors first, then by count (most first), then field."""
    items = []
    for severity, problems in (("error", errors), ("warning", warnings)):
        counts = sorted(problems.not_listed.items(), key=lambda item: (-item[1], item[0]))
        items += [NotListed(severity, name, count) for name, count in counts]
    return items


def more_problems(kinds: Counter[str], noun: str, where: str = "未逐条列出") -> str:
    """“另有 4,210 个错误未逐条列出（综合服务设施面积 3,000 个、户数 1,210 个）”: how many
    problems a list leaves out and of which fields, in Chinese; "" when it leaves none."""
    if not kinds:
        return ""
    counts = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
    named = "、".join(f"{_kind_label(name)} {count:,} 个" for name, count in counts)
    return f"另有 {kinds.total():,} 个{noun}{where}（{named}）"


def _kind_label(name: str) -> str:
    if not name:
        return "整行或整表"  # a problem of a whole row or sheet names no field
    return field_label(name) or name


# The columns the reader knows besides the ledger's own fields (layout.HEADER_RULES).
_COLUMN_LABELS = {
    "total": "综合服务设施总建筑面积",
    "ratio": "每百户居民拥有综合服务设施面积",
    "street": "所在街道（乡镇）",
    "community": "社区名称",
    "code": "区划代码",
    "number": "序号",
}


def field_label(name: str) -> str:
    """What the user calls a problem's field; blank for one without a name they know."""
    return _COLUMN_LABELS.get(name) or LABELS.get(name, "")
