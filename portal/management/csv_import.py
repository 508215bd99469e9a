"""The command-line twin of an admin CSV upload: ``manage.py import_<what> FILE.csv``.

A subclass names its ``importer`` (``staticmethod`` of a service taking ``file`` bytes and
``actor`` and returning an ``ImportResult``) and its ``help``. The file is read and imported as
the command line (``actor=None``). A refused file: every problem printed with its line on
stderr, and the command fails (exit 1, nothing saved). Otherwise the counts are printed in a
form scripts can read, then the Persian summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.digits import to_persian_digits
from portal.errors import PortalError


class CsvImportCommand(BaseCommand):
    file_help = "پرونده CSV با کدگذاری UTF-8"
    importer: Callable  # staticmethod(the import service)

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help=self.file_help)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"پرونده خوانده نشد: {exc}") from exc
        try:
            result = self.importer(file=data, actor=None)
        except PortalError as exc:
            raise CommandError(exc.message) from exc
        if not result.ok:
            for issue in result.errors:
                self.stderr.write(str(issue))
            raise CommandError(
                f"{to_persian_digits(len(result.errors))} خطا؛ هیچ سطری ذخیره نشد "
                "(created=0 updated=0 unchanged=0)."
            )
        self.stdout.write(
            f"created={result.created} updated={result.updated} unchanged={result.unchanged}"
        )
        self.stdout.write(self.style.SUCCESS(result.summary()))
