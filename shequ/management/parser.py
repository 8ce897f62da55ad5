"""The verbs' argument parser in Chinese: argparse's own messages ("the following
arguments are required", "invalid int value", "usage:") are English, for programmers;
an operator reads `用法：…` and `错误：…` with the option at fault, and the verb exits 2
(a usage error, as argparse exits), ADR 0038."""

from __future__ import annotations

import argparse
import re
import sys

from django.core.management.base import CommandError, CommandParser

USAGE = "用法："
_TYPE_NAMES = {"int": "整数", "float": "数字"}

# argparse's messages (Python 3.11–3.13), each with its Chinese.
_MESSAGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"the following arguments are required: (?P<a>.+)"), "缺少必需的参数：{a}"),
    (re.compile(r"unrecognized arguments: (?P<a>.+)"), "不认识的参数：{a}"),
    (re.compile(r"one of the arguments (?P<a>.+) is required"), "参数 {a} 须给出其中一个"),
    (
        re.compile(r"ambiguous option: (?P<a>\S+) could match (?P<b>.+)"),
        "选项 {a} 不明确，可能是 {b}",
    ),
    (re.compile(r"argument (?P<a>\S+?): (?P<b>.+)"), "参数 {a}：{b}"),
    (
        re.compile(r"invalid choice: (?P<a>.+?) \(choose from (?P<b>.+)\)"),
        "{a} 不是可选的值（可选：{b}）",
    ),
    (re.compile(r"invalid (?P<t>\w+) value: (?P<a>.+)"), "{a} 不是有效的{t}"),
    (re.compile(r"expected one argument"), "需要一个值"),
    (re.compile(r"expected at most one argument"), "最多一个值"),
    (re.compile(r"expected at least one argument"), "至少需要一个值"),
    (re.compile(r"expected (?P<a>\d+) arguments?"), "需要 {a} 个值"),
    (re.compile(r"not allowed with argument (?P<a>.+)"), "不能与 {a} 同时使用"),
    (re.compile(r"ignored explicit argument (?P<a>.+)"), "不接受值 {a}"),
]
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese_message(message: str) -> str:
    """argparse's English message in Chinese (the inner part of "argument X: …" too); a
    message already in Chinese (a `type=` function of ours) is kept."""
    for pattern, chinese in _MESSAGES:
        match = pattern.fullmatch(message.strip())
        if match:
            parts = match.groupdict()
            if "b" in parts and pattern.pattern.startswith("argument"):
                parts["b"] = chinese_message(parts["b"])
            if "t" in parts:
                parts["t"] = _TYPE_NAMES.get(parts["t"], parts["t"])
            return chinese.format(**parts)
    return message if _CHINESE.search(message) else f"参数有误：{message}"


class ChineseCommandParser(CommandParser):
    def error(self, message):
        message = chinese_message(message)
        if not self.called_from_command_line:
            raise CommandError(f"参数有误：{message}", returncode=2)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")

    def format_usage(self) -> str:
        return _in_chinese(super().format_usage())

    def format_help(self) -> str:
        return _in_chinese(super().format_help())


def _in_chinese(text: str) -> str:
    return text.replace("usage: ", USAGE, 1)


def make_chinese(parser: argparse.ArgumentParser) -> None:
    """`parser` and its sub-parsers (region-change's actions) answer in Chinese."""
    if isinstance(parser, CommandParser):
        parser.__class__ = ChineseCommandParser
    parser._positionals.title = "位置参数"
    parser._optionals.title = "选项"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                make_chinese(sub)
