"""`make bench`: the import and export figures of the ledger workbook at city scale.

Whole commands are timed, median of 5, alternating with their reference on the same file;
the table is printed and bench/results.json written. See bench/README.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import pg  # noqa: E402
from city_workbook import city_rows, write_rows  # noqa: E402

BIN = Path(sys.executable).parent
SHEQU = str(BIN / "shequ")
PYTHON = sys.executable
RUNS = 5
PANDAS = (
    "import pandas, sys; "
    "pandas.read_excel(sys.argv[1], sheet_name=None, header=None, engine='openpyxl')"
)
BARE_DUMP = (
    "import json, sys, xlsxwriter; rows = json.load(open(sys.argv[1])); "
    "book = xlsxwriter.Workbook(sys.argv[2], {'constant_memory': True}); "
    "sheet = book.add_worksheet('台账')\n"
    "for r, row in enumerate(rows):\n"
    "    for c, v in enumerate(row):\n"
    "        sheet.write(r, c, v) if v is not None else None\n"
    "book.close()"
)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(command: list[str], env: dict, quiet: bool = True) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        command,
        env=env,
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.PIPE,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode not in (0,):
        raise SystemExit(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr.decode()[-2000:]}"
        )
    return elapsed


def alternate(first: list[list[str]], second: list[list[str]], env: dict) -> tuple[float, float]:
    """Median seconds of two commands run alternately; `first`/`second` may cycle files."""
    a, b = [], []
    for index in range(RUNS):
        a.append(run(first[index % len(first)], env))
        b.append(run(second[index % len(second)], env))
    return statistics.median(a), statistics.median(b)


def prepare_database(env: dict) -> None:
    run([SHEQU, "migrate", "-v0"], env)
    run([SHEQU, "load-regions", "chongqing_counties.csv", "chongqing_villages.csv"], env)
    run([SHEQU, "open-period", "2026H2", "--deadline", "2099-12-31"], env)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="shequ-bench."))
    env = {**os.environ, "SHEQU_VAR_DIR": str(work)}
    env.pop("DATABASE_URL", None)
    log(f"working in {work}")
    files = []
    for seed in (1, 2):
        rows = city_rows(seed)
        path = work / f"city-{seed}.xlsx"
        write_rows(path, rows)
        files.append(path)
    log(f"city workbook: {len(rows)} rows")
    prepare_database(env)
    results = {}

    dry, pandas = alternate(
        [[SHEQU, "import-ledger", str(files[0]), "--period", "2026H2", "--json"]],
        [[PYTHON, "-c", PANDAS, str(files[0])]],
        env,
    )
    results["import_dry_run_city"] = {"seconds": dry, "reference": pandas, "goal": 0.5}

    run([SHEQU, "import-ledger", str(files[0]), "--period", "2026H2", "--apply"], env)
    values = work / "values.json"
    header = [["序号", "区划代码", "所在街道（乡镇）", "社区名称"] + [""] * 10]
    values.write_text(json.dumps(header + city_rows(1), ensure_ascii=False), encoding="utf-8")
    export, bare = alternate(
        [[SHEQU, "export-ledger", "--period", "2026H2", "-o", str(work / "export.xlsx")]],
        [[PYTHON, "-c", BARE_DUMP, str(values), str(work / "bare.xlsx")]],
        env,
    )
    results["export_city"] = {"seconds": export, "reference": bare, "goal": 1.5}

    results["import_apply_city_postgresql"] = apply_on_postgresql(files, env)
    report(results)


def apply_on_postgresql(files: list[Path], env: dict) -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url and not pg.available():
        return {"skipped": "no PostgreSQL: set DATABASE_URL or install postgresql-15"}
    if url:
        return _apply(files, {**env, "DATABASE_URL": url})
    with pg.throwaway_cluster() as throwaway:
        return _apply(files, {**env, "DATABASE_URL": throwaway})


def _apply(files: list[Path], env: dict) -> dict:
    prepare_database(env)
    commands = [
        [SHEQU, "import-ledger", str(path), "--period", "2026H2", "--apply"] for path in files
    ]
    apply, pandas = alternate(commands, [[PYTHON, "-c", PANDAS, str(files[0])]], env)
    return {"seconds": apply, "reference": pandas, "goal": 1.0}


def report(results: dict) -> None:
    print(f"{'benchmark':<32}{'seconds':>10}{'reference':>11}{'ratio':>8}{'goal':>7}  result")
    for name, figure in results.items():
        if "skipped" in figure:
            print(f"{name:<32}{'skipped: ' + figure['skipped']}")
            continue
        figure["ratio"] = figure["seconds"] / figure["reference"]
        verdict = "met" if figure["ratio"] <= figure["goal"] else "MISSED"
        print(
            f"{name:<32}{figure['seconds']:>10.3f}{figure['reference']:>11.3f}"
            f"{figure['ratio']:>8.2f}{figure['goal']:>7.1f}  {verdict}"
        )
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
