"""``manage.py import_bills FILE.csv``: the command-line twin of the admin upload."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.services.imports import bills_import
from portal.errors import PortalError


class Command(BaseCommand):
    help = "بارگذاری صورتحساب‌ها از پرونده CSV سامانه صدور صورتحساب (همه یا هیچ)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            help=(
                "پرونده CSV با کدگذاری UTF-8 و ستون‌های bill_id, payment_id, period, "
                "period_start, period_end, previous_reading, current_reading, consumption, "
                "amount, due_date"
            ),
        )

    def handle(self, *args, file: Path, **options) -> None:
        report(self, bills_import, file)


def report(command: BaseCommand, service, file: Path) -> None:
    """Run an import service on ``file`` and print its Persian summary, or its numbered
    errors on stderr and exit with status 1. Shared by ``import_payments``."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CommandError(f"پرونده خوانده نشد: {exc.strerror or exc}") from exc
    try:
        result = service(file=data, actor=None, file_name=file.name)
    except PortalError as exc:
        raise CommandError(exc.message) from exc
    if not result.ok:
        for issue in result.errors:
            command.stderr.write(str(issue))
        raise CommandError(result.error_summary())
    command.stdout.write(command.style.SUCCESS(result.summary()))
