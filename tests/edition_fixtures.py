"""New editions of the division codes, made from the real 北碚区 file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from shequ.regions.loading import BUILTIN_DIR

HEADER = ["code", "name", "level", "parent_code", "urban_rural_code", "source_year"]


class Edition:
    """The 2023 北碚区 file, changed row by row as a later edition would change it."""

    def __init__(self) -> None:
        text = (BUILTIN_DIR / "beibei_divisions.csv").read_text(encoding="utf-8")
        self.rows = [
            dict(zip(HEADER, cells, strict=True)) for cells in csv.reader(text.splitlines()[1:])
        ]

    def _row(self, code: str) -> dict:
        return next(row for row in self.rows if row["code"] == code)

    def rename(self, code: str, name: str) -> Edition:
        self._row(code)["name"] = name
        return self

    def move(self, code: str, parent: str) -> Edition:
        self._row(code)["parent_code"] = parent
        return self

    def remove(self, *codes: str) -> Edition:
        self.rows = [row for row in self.rows if row["code"] not in codes]
        return self

    def add(self, code: str, name: str, parent: str, level: str = "village", ur: str = "111"):
        self.rows.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "parent_code": parent,
                "urban_rural_code": ur if level == "village" else "",
                "source_year": "2026",
            }
        )
        return self

    def urban_rural(self, code: str, ur: str) -> Edition:
        self._row(code)["urban_rural_code"] = ur
        return self

    def text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows([row[key] for key in HEADER] for row in self.rows)
        return out.getvalue()

    def write(self, folder: Path, name: str = "edition.csv") -> str:
        path = folder / name
        path.write_text(self.text(), encoding="utf-8")
        return str(path)

    def line_of(self, code: str) -> int:
        """The file line of `code` (the header is line 1)."""
        return 2 + next(i for i, row in enumerate(self.rows) if row["code"] == code)


def successions_file(
    folder: Path,
    lines: list[str],
    *,
    encoding: str = "utf-8",
    header: str = "old_code,new_codes,kind",
    name: str = "successions.csv",
) -> str:
    path = folder / name
    path.write_bytes("\r\n".join([header, *lines, ""]).encode(encoding))
    return str(path)


def shequ(verb: str, *args: str) -> tuple[int, str, str]:
    """Runs a verb as the command line would: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(verb, *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    except CommandError as error:  # the command line prints it on stderr and exits
        code = error.returncode
        err.write(str(error))
    return code, out.getvalue(), err.getvalue()


def shequ_json(verb: str, *args: str) -> tuple[int, dict]:
    code, out, _ = shequ(verb, *args, "--json")
    return code, json.loads(out)
