"""``manage.py import_lines FILE.csv``: the command-line twin of the admin lines upload."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.errors import PortalError
from telecom.services.lines import lines_import


class Command(BaseCommand):
    help = "بارگذاری خطوط تلفن ثابت از پرونده CSV (همه یا هیچ)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="پرونده CSV با کدگذاری UTF-8")

    def handle(self, *args, file: Path, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"پرونده خوانده نشد: {exc}") from exc
        try:
            result = lines_import(file=data, actor=None)
        except PortalError as exc:
            raise CommandError(exc.message) from exc
        if not result.ok:
            for issue in result.errors:
                self.stderr.write(str(issue))
            raise CommandError(
                f"{len(result.errors)} خطا؛ هیچ سطری ذخیره نشد (created=0 updated=0 unchanged=0)."
            )
        self.stdout.write(
            f"created={result.created} updated={result.updated} unchanged={result.unchanged}"
        )
        self.stdout.write(self.style.SUCCESS(result.summary()))
