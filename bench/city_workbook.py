"""A city-scale ledger workbook: every village-level unit of 重庆 (11,270 rows, from the
division file shipped with shequ), with a division-code column and plausible figures."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import xlsxwriter

# The division files shipped with shequ (no Django needed to read them here).
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "shequ" / "regions" / "data"


HEADER = [
    "序号",
    "区划代码",
    "所在街道（乡镇）",
    "社区名称",
    "辖区户籍人口总户数（户）",
    "便民服务中心",
    "警务室",
    "日间照料中心（养老服务站）",
    "卫生服务站",
    "文化活动室",
    "菜店（平价超市）",
    "其他用房",
    "达标年度",
    "备注",
]


def city_rows(seed: int) -> list[list]:
    streets = {}
    villages = []
    with (BUILTIN_DIR / "chongqing_villages.csv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            if row["level"] == "street":
                streets[row["code"]] = row["name"]
            else:
                villages.append(row)
    rng = random.Random(seed)
    return [
        [number, village["code"], streets[village["parent_code"]], village["name"], *figures(rng)]
        for number, village in enumerate(villages, start=1)
    ]


def figures(rng: random.Random) -> list:
    """Households, the seven areas, 达标年度 and 备注 of one community (None: blank)."""
    return [
        rng.randint(400, 7000),
        round(rng.uniform(150, 900), 1),
        round(rng.uniform(10, 60), 1),
        round(rng.uniform(0, 300), 1),
        round(rng.uniform(20, 120), 1),
        round(rng.uniform(20, 200), 1),
        None,
        round(rng.uniform(0, 50), 1),
        rng.choice([None, 2021, 2022, 2023]),
        "",
    ]


def write_city_workbook(path: Path, seed: int = 1) -> int:
    rows = city_rows(seed)
    write_rows(path, rows)
    return len(rows)


def write_rows(path: Path, rows: list[list]) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("台账")
    sheet.write_row(0, 0, HEADER)
    for index, row in enumerate(rows, start=1):
        write_row(sheet, index, row)
    book.close()


def write_row(sheet, index: int, row: list) -> None:
    for column, value in enumerate(row):
        if value is not None:
            sheet.write(index, column, value)
