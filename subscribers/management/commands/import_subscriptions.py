"""``manage.py import_subscriptions FILE.csv``: the command-line twin of the admin upload."""

from __future__ import annotations

from portal.management.csv_import import CsvImportCommand
from subscribers.services.subscriptions import subscriptions_import


class Command(CsvImportCommand):
    help = "بارگذاری اشتراک‌ها از پرونده CSV (همه یا هیچ)."
    importer = staticmethod(subscriptions_import)
