"""The one way this system opens a spreadsheet for writing."""

import xlsxwriter

# What users typed is written as text, never as a formula, number or link: `=1+1` in a
# 备注 or a description must stay `=1+1` in every workbook we hand out (formula injection).
VALUES_ONLY = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "in_memory": True,
}


def values_only_workbook(target) -> xlsxwriter.Workbook:
    return xlsxwriter.Workbook(target, VALUES_ONLY)
