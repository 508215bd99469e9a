"""``manage.py import_cdrs FILE.csv [FILE2.csv ...]``: the command-line twin of the admin
upload, for the switch's monthly files (any size). Each file is its own all-or-nothing import;
the command stops at the first bad file (the files before it stay imported) and exits 1."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.digits import to_persian_digits
from portal.errors import PortalError
from telecom.services.cdr_import import cdr_import


class Command(BaseCommand):
    help = (
        "ورود ریزمکالمات از پرونده‌های CSV مرکز سوئیچ (هر پرونده همه یا هیچ؛ "
        "پرونده تکراری چیزی نمی‌افزاید)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "files",
            nargs="+",
            type=Path,
            help=(
                "پرونده CSV با کدگذاری UTF-8 و ستون‌های line, started_at, other_number, "
                "call_type, duration_s, cost_rial"
            ),
        )

    def handle(self, *args, files: list[Path], **options) -> None:
        for file in files:
            if not file.is_file():
                raise CommandError(f"{file.name}: پرونده خوانده نشد (وجود ندارد).")
            try:
                result = cdr_import(file=file, file_name=file.name, actor=None)
            except (OSError, PortalError) as exc:
                message = getattr(exc, "message", None) or getattr(exc, "strerror", None)
                raise CommandError(f"{file.name}: پرونده خوانده نشد: {message or exc}") from exc
            if not result.ok:
                self.stderr.write(f"{file.name}:")
                for issue in result.errors:
                    self.stderr.write(f"  {issue}")
                raise CommandError(f"{file.name}: {result.error_summary()}")
            seconds = to_persian_digits(f"{result.seconds:.1f}")
            style = self.style.WARNING if result.duplicate else self.style.SUCCESS
            self.stdout.write(style(f"{file.name}: {result.summary()} ({seconds} ثانیه)"))
