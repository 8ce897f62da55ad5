"""What every `shequ` verb shares: `--as USERNAME` and `--json` (engineering guide,
"Defaults and data")."""

import codecs
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from shequ.accounts.scope import Scope, UnknownUser, scope_for_username
from shequ.management.ending import end_process
from shequ.management.parser import make_chinese


class ShequCommand(BaseCommand):
    supports_json = False
    # The system checks import every URLconf and view module; they belong to `shequ check`
    # (make test, deployment), not to each run of a verb.
    requires_system_checks = []

    def run_from_argv(self, argv):
        # The command line (call_command does not come here): once the verb is done, its
        # process ends at once, its atexit handlers run and its streams flushed.
        try:
            super().run_from_argv(argv)
        except SystemExit as exit_:
            end_process(exit_.code)
        end_process(0)

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        make_chinese(parser)  # usage errors in Chinese, exit 2 (management.parser)
        return parser

    def execute(self, *args, **options):
        """On the command line a refusal is its Chinese message alone on stderr (Django
        would write "CommandError: …" before it) and the exit code it carries."""
        if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
            return super().execute(*args, **options)
        try:
            return super().execute(*args, **options)
        except CommandError as error:
            self.stderr.write(f"错误：{error}")
            raise SystemExit(error.returncode) from None

    def add_arguments(self, parser):
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help="以该用户的身份和权限范围执行（默认：命令行操作员，全部区划）",
        )
        if self.supports_json:
            parser.add_argument(
                "--json", action="store_true", help="只在标准输出打印一个 JSON 文档"
            )

    def scope(self, options) -> Scope:
        try:
            scope = scope_for_username(options.get("as_user"))
        except UnknownUser as error:
            raise CommandError(str(error)) from error
        if options.get("as_user") and scope.node is None:
            raise CommandError(f"用户“{options['as_user']}”未分配区划")
        return scope

    def print_json(self, document) -> None:
        # Compact: the C encoder is ten times faster than the indenting one on large imports.
        self.stdout.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))

    def print_json_bytes(self, options, chunks) -> None:
        """A document already encoded as UTF-8 JSON, piece by piece, then a newline. On the
        process's own stdout the bytes go straight out, not decoded for the text layer to
        encode again."""
        if options.get("stdout") is not None:  # call_command(stdout=…): a text stream
            # Incrementally: a piece may end inside a character (the import's rows are read
            # back from their spool in blocks of a fixed size).
            decoder = codecs.getincrementaldecoder("utf-8")()
            for chunk in chunks:
                self.stdout.write(decoder.decode(chunk), ending="")
            self.stdout.write(decoder.decode(b"", final=True))
            return
        sys.stdout.flush()
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()

    def say(self, options, text: str) -> None:
        """Human output: stdout normally, stderr under --json so stdout stays one document."""
        stream = self.stderr if options.get("json") else self.stdout
        stream.write(text)
