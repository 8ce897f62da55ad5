"""A small SMTP server on 127.0.0.1 for the mail tests: a real SMTP conversation (EHLO,
AUTH PLAIN, MAIL, RCPT, DATA) with Django's SMTP backend, keeping what it was sent.
Addresses in `refuse` are answered 550, as a server refuses an unknown mailbox."""

from __future__ import annotations

import base64
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    port: int = 0
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


class _Conversation(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.say("220 smtp.test ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.say("250-smtp.test", "250-AUTH PLAIN", "250 8BITMIME")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(command.split()[2]).decode().split("\0")
                self.server.state.logins.append((user, password))
                self.say("235 2.7.0 Authentication successful")
            elif verb == "MAIL":
                sender, recipients = _address(command), []
                self.say("250 OK")
            elif verb == "RCPT":
                self._recipient(_address(command), recipients)
            elif verb == "DATA":
                self.say("354 End data with <CR><LF>.<CR><LF>")
                self._data(sender, recipients)
            elif verb == "QUIT":
                self.say("221 Bye")
                return
            else:  # RSET, NOOP
                self.say("250 OK")

    def _recipient(self, address: str, recipients: list[str]) -> None:
        if address in self.server.state.refuse:
            self.say("550 5.1.1 Mailbox unavailable")
        else:
            recipients.append(address)
            self.say("250 OK")

    def _data(self, sender: str, recipients: list[str]) -> None:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        message = message_from_bytes(b"".join(lines), policy=policy.default)
        self.server.state.received.append(Received(sender, recipients, message))
        self.say("250 OK queued")

    def say(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    state: SmtpServer


def _address(command: str) -> str:
    return command.split(":", 1)[1].split()[0].strip("<>")


def serve(state: SmtpServer):
    """Start serving `state` on a free port; the server, to shut down."""
    server = _Server(("127.0.0.1", 0), _Conversation)
    server.state = state
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
