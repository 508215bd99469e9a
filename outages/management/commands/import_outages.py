"""``manage.py import_outages FILE.csv``: the command-line twin of the admin upload."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from outages.services.schedule import outages_import
from portal.digits import to_persian_digits
from portal.errors import PortalError


class Command(BaseCommand):
    help = "بارگذاری خاموشی‌های برنامه‌ریزی‌شده از پرونده CSV (همه یا هیچ)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            help="پرونده CSV با کدگذاری UTF-8 و ستون‌های feeder_code, start, end, reason",
        )

    def handle(self, *args, file: Path, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"پرونده خوانده نشد: {exc}") from exc
        try:
            result = outages_import(file=data, actor=None)
        except PortalError as exc:
            raise CommandError(exc.message) from exc
        if not result.ok:
            for issue in result.errors:
                self.stderr.write(str(issue))
            raise CommandError(f"{to_persian_digits(len(result.errors))} خطا؛ هیچ سطری ذخیره نشد.")
        self.stdout.write(
            f"created={result.created} updated={result.updated} unchanged={result.unchanged}"
        )
        self.stdout.write(self.style.SUCCESS(result.summary()))
