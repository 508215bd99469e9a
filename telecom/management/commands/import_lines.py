"""``manage.py import_lines FILE.csv``: the command-line twin of the admin lines upload."""

from __future__ import annotations

from portal.management.csv_import import CsvImportCommand
from telecom.services.lines import lines_import


class Command(CsvImportCommand):
    help = "بارگذاری خطوط تلفن ثابت از پرونده CSV (همه یا هیچ)."
    importer = staticmethod(lines_import)
