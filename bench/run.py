"""`make bench`: the ledger at city and country scale, against references.

Whole commands are timed (median of 5, alternating with their reference on the same
file); pages and API calls in-process (bench/web_timing.py); the country's import once,
with its peak memory. The table is printed and bench/results.json written. See
bench/README.md. `--quick` (or BENCH_QUICK=1) builds a country of 20,000 communities
instead of 600,000, to try the runner out.
"""

from __future__ import annotations

import contextlib
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
from national_workbook import write_national_workbook  # noqa: E402

from shequ.environment import env_bool  # noqa: E402

BIN = Path(sys.executable).parent
SHEQU = str(BIN / "shequ")
PYTHON = sys.executable
RUNS = 5
QUICK = "--quick" in sys.argv or env_bool("BENCH_QUICK", False)
COUNTRY = 20_000 if QUICK else 600_000
CITY_FILES = ["chongqing_counties.csv", "chongqing_villages.csv"]
DISTRICT, CITY = "500109", "50"  # 北碚区 and 重庆市 in the city database
PANDAS = (
    "import pandas, sys; "
    "pandas.read_excel(sys.argv[1], sheet_name=None, header=None, engine='openpyxl')"
)
CALAMINE = (
    "import sys, python_calamine; book = python_calamine.CalamineWorkbook.from_path(sys.argv[1]); "
    "[book.get_sheet_by_name(n).to_python() for n in book.sheet_names]"
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
# The reference of region loading: the same two files COPYed into a bare table (no
# checks, no paths, no versions), the least any loader has to do.
BARE_COPY = (
    "import sys, psycopg; c = psycopg.connect(sys.argv[1], autocommit=True); "
    "c.execute('DROP TABLE IF EXISTS bare_division'); "
    "c.execute('CREATE TABLE bare_division (code text, name text, level text, "
    "parent_code text, urban_rural_code text, source_year int)')\n"
    "for path in sys.argv[2:]:\n"
    "    with open(path, 'rb') as f, c.cursor().copy("
    "'COPY bare_division FROM STDIN WITH (FORMAT csv, HEADER true)') as copy:\n"
    "        copy.write(f.read())"
)
DIVISIONS = ROOT / "shequ" / "regions" / "data"


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(command: list[str], env: dict, quiet: bool = True) -> float:
    return run_measured(command, env, quiet)[0]


def run_measured(command: list[str], env: dict, quiet: bool = True) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL if quiet else subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed ({code}):\n{stderr.decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def output(command: list[str], env: dict) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return result.stdout


def alternate(first: list[list[str]], second: list[list[str]], env: dict, before=None):
    """Median seconds of two commands run alternately; `first`/`second` may cycle files.
    `before()` runs untimed ahead of each run of `first`."""
    a, b = [], []
    for index in range(RUNS):
        if before:
            before()
        a.append(run(first[index % len(first)], env))
        b.append(run(second[index % len(second)], env))
    return statistics.median(a), statistics.median(b)


def prepare_database(env: dict) -> None:
    run([SHEQU, "migrate", "-v0"], env)
    run([SHEQU, "load-regions", *CITY_FILES], env)
    run([SHEQU, "open-period", "2026H2", "--deadline", "2099-12-31"], env)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="shequ-bench."))
    env = {**os.environ, "SHEQU_VAR_DIR": str(work)}
    env.pop("DATABASE_URL", None)
    log(f"working in {work}" + (f" (quick: a country of {COUNTRY:,})" if QUICK else ""))
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
    results["import_dry_run_city"] = {"seconds": dry, "reference": pandas, "goal": 0.6}
    results["import_dry_run_district"] = district_dry_run(work, env)

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

    with postgresql() as url:
        if url is None:
            results["postgresql"] = {"skipped": "no PostgreSQL: set DATABASE_URL or run as root"}
        else:
            results.update(on_postgresql(url, files, env, work))
    report(results)


def district_dry_run(work: Path, env: dict) -> dict:
    """北碚区's 192 communities out of the city's rows: the size a district's clerk imports."""
    path = work / "district.xlsx"
    rows = [row for row in city_rows(1) if str(row[1]).startswith(DISTRICT)]
    for number, row in enumerate(rows, start=1):
        row[0] = number
    write_rows(path, rows)
    dry, pandas = alternate(
        [[SHEQU, "import-ledger", str(path), "--period", "2026H2", "--json"]],
        [[PYTHON, "-c", PANDAS, str(path)]],
        env,
    )
    return {"seconds": dry, "reference": pandas, "goal_seconds": 0.5, "rows": len(rows)}


@contextlib.contextmanager
def postgresql():
    """DATABASE_URL if set, else a throwaway cluster (installing PostgreSQL 15 if need be)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
    elif pg.ensure_installed():
        with pg.throwaway_cluster() as throwaway:
            yield throwaway
    else:
        yield None


def on_postgresql(url: str, files: list[Path], env: dict, work: Path) -> dict:
    results = {}
    city_env = {**env, "DATABASE_URL": pg.fresh_database(url, "bench_apply")}
    results["import_apply_city_postgresql"] = _apply(files, city_env)
    results["region_loading_city"] = region_loading(url, env)
    city = {**env, "DATABASE_URL": pg.fresh_database(url, "bench_city")}
    results["gen_scale_city"] = generate(city, ["--city"])
    country = {**env, "DATABASE_URL": pg.fresh_database(url, "bench_country")}
    results["gen_scale_national"] = generate(country, ["--national", str(COUNTRY)])
    results.update(web_figures(city, country))
    results.update(national_import(country, work))
    return results


def _apply(files: list[Path], env: dict) -> dict:
    prepare_database(env)
    commands = [
        [SHEQU, "import-ledger", str(path), "--period", "2026H2", "--apply"] for path in files
    ]
    apply, pandas = alternate(commands, [[PYTHON, "-c", PANDAS, str(files[0])]], env)
    return {"seconds": apply, "reference": pandas, "goal": 1.0}


def region_loading(url: str, env: dict) -> dict:
    """`shequ load-regions` of 重庆's two files into an empty tree, against a bare COPY."""
    env = {**env, "DATABASE_URL": pg.fresh_database(url, "bench_regions")}
    run([SHEQU, "migrate", "-v0"], env)
    empty = [PYTHON, "-c", EMPTY_TREE, env["DATABASE_URL"]]
    paths = [str(DIVISIONS / name) for name in CITY_FILES]
    load, copy = alternate(
        [[SHEQU, "load-regions", *CITY_FILES]],
        [[PYTHON, "-c", BARE_COPY, env["DATABASE_URL"], *paths]],
        env,
        before=lambda: run(empty, env),
    )
    return {"seconds": load, "reference": copy}


EMPTY_TREE = (
    "import sys, psycopg; c = psycopg.connect(sys.argv[1], autocommit=True); "
    "c.execute('TRUNCATE regions_regionversion, regions_region, core_auditevent CASCADE')"
)


def generate(env: dict, which: list[str]) -> dict:
    log(f"gen-scale {' '.join(which)} …")
    seconds, rss = run_measured([SHEQU, "gen-scale", *which, "--json"], env)
    return {"seconds": seconds, "rss_mb": rss}


def token(env: dict) -> str:
    return output([SHEQU, "token", "admin", "--name", "基准测试"], env).strip().splitlines()[-1]


def web_figures(city: dict, country: dict) -> dict:
    """The summary for a district, the city and the country, and a street's grid."""
    script = str(ROOT / "bench" / "web_timing.py")
    street = first_street(country)
    city_times = json.loads(
        output(
            [
                PYTHON,
                script,
                token(city),
                street_code(city),
                f"district={DISTRICT}",
                f"city={CITY}",
            ],
            city,
        )
    )
    country_times = json.loads(
        output([PYTHON, script, token(country), street, "country=0"], country)
    )
    district = city_times["summary_district"]
    return {
        "summary_api_district": {
            "seconds": district,
            "reference": city_times["api_periods"],
        },
        "summary_api_city": {"seconds": city_times["summary_city"], "reference": district},
        "summary_api_country_postgresql": {
            "seconds": country_times["summary_country"],
            "reference": district,
            "goal": 3.0,
            "goal_seconds": 0.3,
        },
        "street_grid_city_largest": {
            "seconds": city_times["street_grid"],
            "reference": city_times["login_page"],
            "goal_seconds": 0.05,
        },
        "street_grid_country": {
            "seconds": country_times["street_grid"],
            "reference": country_times["login_page"],
            "goal_seconds": 0.05,
        },
    }


def first_street(env: dict) -> str:
    return _query(env, "SELECT code FROM regions_region WHERE level = 'street' ORDER BY code")


def street_code(env: dict) -> str:
    """The city's largest street: the grid's worst case."""
    return _query(
        env,
        "SELECT s.code FROM regions_region s JOIN regions_region c ON c.parent_id = s.id "
        "WHERE s.level = 'street' GROUP BY s.code ORDER BY count(*) DESC, s.code",
    )


def _query(env: dict, sql: str) -> str:
    script = (
        "import sys, psycopg; "
        "print(psycopg.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])"
    )
    return output([PYTHON, "-c", script, env["DATABASE_URL"], sql], env).strip()


def national_import(env: dict, work: Path) -> dict:
    """A country's workbook (one row per community) previewed and applied once each."""
    path = work / "country.xlsx"
    log(f"country workbook: {write_national_workbook(path, COUNTRY):,} rows")
    opening, opening_rss = run_measured(
        [SHEQU, "open-period", "2027H1", "--deadline", "2099-12-31"], env
    )
    command = [SHEQU, "import-ledger", str(path), "--period", "2027H1", "--json"]
    read, read_rss = run_measured([PYTHON, "-c", CALAMINE, str(path)], env)
    dry, dry_rss = run_measured(command, env)
    # A tenth of the file into the same database: the peak should not grow with the file.
    tenth = work / "country-tenth.xlsx"
    write_national_workbook(tenth, COUNTRY, rows=COUNTRY // 10)
    tenth_command = [SHEQU, "import-ledger", str(tenth), "--period", "2027H1", "--json"]
    tenth_dry, tenth_rss = run_measured(tenth_command, env)
    apply, apply_rss = run_measured([*command, "--apply"], env)
    return {
        "open_period_country": {"seconds": opening, "rss_mb": opening_rss},
        "import_dry_run_country_tenth_postgresql": {"seconds": tenth_dry, "rss_mb": tenth_rss},
        "import_dry_run_country_postgresql": {
            "seconds": dry,
            "reference": read,
            "rss_mb": dry_rss,
            "reference_rss_mb": read_rss,
            "peak_to_tenth": dry_rss / tenth_rss,
            # Issue 26: ≤ 30 s and ≤ 1.0 GB, the peak within 1.3× of a tenth's.
            "goal_seconds": 30.0,
            "goal_rss_mb": 1024.0,
            "goal_peak_to_tenth": 1.3,
        },
        "import_apply_country_postgresql": {
            "seconds": apply,
            "reference": read,
            "rss_mb": apply_rss,
            "goal_seconds": 45.0,  # issue 26
            "goal_rss_mb": 1024.0,
        },
    }


def verdict(figure: dict) -> str:
    checks = []
    if "goal" in figure:
        checks.append(figure["ratio"] <= figure["goal"])
    if "goal_seconds" in figure:
        checks.append(figure["seconds"] <= figure["goal_seconds"])
    if "goal_rss_mb" in figure:
        checks.append(figure["rss_mb"] <= figure["goal_rss_mb"])
    if "goal_peak_to_tenth" in figure:
        checks.append(figure["peak_to_tenth"] <= figure["goal_peak_to_tenth"])
    if not checks:
        return ""
    return "met" if all(checks) else "MISSED"


def goal_text(figure: dict) -> str:
    parts = []
    if "goal" in figure:
        parts.append(f"≤{figure['goal']:.1f}×")
    if "goal_seconds" in figure:
        seconds = figure["goal_seconds"]
        parts.append(f"≤{seconds * 1000:.0f}ms" if seconds < 1 else f"≤{seconds:.0f}s")
    if "goal_rss_mb" in figure:
        parts.append(f"≤{figure['goal_rss_mb'] / 1024:.1f}GB")
    if "goal_peak_to_tenth" in figure:
        parts.append(f"peak≤{figure['goal_peak_to_tenth']:.1f}×tenth")
    return " ".join(parts)


def report(results: dict) -> None:
    print(
        f"{'benchmark':<36}{'seconds':>10}{'reference':>11}{'ratio':>8}{'peak MB':>9}"
        f"  {'goal':<16}result"
    )
    for name, figure in results.items():
        if "skipped" in figure:
            print(f"{name:<36}{'skipped: ' + figure['skipped']}")
            continue
        if "reference" in figure:
            figure["ratio"] = figure["seconds"] / figure["reference"]
        reference = f"{figure['reference']:>11.3f}" if "reference" in figure else f"{'—':>11}"
        ratio = f"{figure['ratio']:>8.2f}" if "ratio" in figure else f"{'—':>8}"
        rss = f"{figure['rss_mb']:>9.0f}" if "rss_mb" in figure else f"{'—':>9}"
        figure["result"] = verdict(figure)
        print(
            f"{name:<36}{figure['seconds']:>10.3f}{reference}{ratio}{rss}"
            f"  {goal_text(figure):<16}{figure['result']}"
        )
        if "peak_to_tenth" in figure:
            print(f"{'':<36}peak {figure['peak_to_tenth']:.2f}× the tenth's")
    out = ROOT / "bench" / "results.json"
    document = {"quick": QUICK, "country_communities": COUNTRY, "figures": results}
    out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
