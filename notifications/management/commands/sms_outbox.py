"""Print recent outbox messages with their full text (development and browser tests)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.selectors import outbox_recent
from portal.identifiers import InvalidIdentifier, clean_mobile
from portal.jalali import jalali_iso


class Command(BaseCommand):
    help = "Recent SMS outbox messages with full text, kind, status, attempts and time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", dest="to", help="only messages to this mobile number")
        parser.add_argument("--last", type=int, default=10, help="how many (default 10)")
        parser.add_argument("--kind", help="only this kind (otp, bill_notice, …)")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args, **options) -> None:
        recipient = None
        if options["to"]:
            try:
                recipient = clean_mobile(options["to"])
            except InvalidIdentifier as exc:
                raise CommandError(str(exc)) from None
        if options["last"] < 1:
            raise CommandError("--last must be at least 1")
        messages = list(
            outbox_recent(recipient=recipient, kind=options["kind"], limit=options["last"])
        )
        if not messages:
            self.stdout.write("No messages.")
            return
        # Oldest first, like a chat: the newest (the OTP just requested) is the last line.
        for message in reversed(messages):
            if options["json"]:
                self.stdout.write(
                    json.dumps(
                        {
                            "id": message.pk,
                            "to": message.recipient,
                            "kind": message.kind,
                            "status": message.status,
                            "attempts": message.attempts,
                            "created_at": message.created_at.isoformat(),
                            "created_at_jalali": jalali_iso(message.created_at),
                            "template": message.template,
                            "text": message.text,
                        },
                        ensure_ascii=False,
                    )
                )
                continue
            self.stdout.write(
                f"#{message.pk}  {jalali_iso(message.created_at)}  "
                f"({message.created_at.isoformat(timespec='seconds')})  {message.recipient}  "
                f"kind={message.kind}  status={message.status}  attempts={message.attempts}"
            )
            if message.failure_reason:
                self.stdout.write(f"    reason: {message.failure_reason}")
            for line in message.text.splitlines() or [""]:
                self.stdout.write(f"    {line}")
