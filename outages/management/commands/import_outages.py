"""``manage.py import_outages FILE.csv``: the command-line twin of the admin upload."""

from __future__ import annotations

from outages.services.schedule import outages_import
from portal.management.csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = "بارگذاری خاموشی‌های برنامه‌ریزی‌شده از پرونده CSV (همه یا هیچ)."
    file_help = "پرونده CSV با کدگذاری UTF-8 و ستون‌های feeder_code, start, end, reason"
    importer = staticmethod(outages_import)
