"""``manage.py import_payments FILE.csv``: the command-line twin of the admin upload."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from billing.management.commands.import_bills import report
from billing.services.imports import payments_import


class Command(BaseCommand):
    help = "بارگذاری پرداخت‌های قبض از پرونده CSV بانک یا سامانه پرداخت (همه یا هیچ)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            help=(
                "پرونده CSV با کدگذاری UTF-8 و ستون‌های bill_id, payment_id, amount, paid_at, "
                "channel, reference"
            ),
        )

    def handle(self, *args, file: Path, **options) -> None:
        report(self, payments_import, file)
