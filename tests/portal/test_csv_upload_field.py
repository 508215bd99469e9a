"""Every admin import page takes its file through ``CsvUploadField``: errors that name the
field, and a size cap that sends bigger files to the page's management command."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.admin.imports import BillUploadForm
from outages.admin.forms import OutageImportForm
from subscribers.forms_subscriptions import SubscriptionImportForm
from telecom.admin.calls import CdrUploadForm
from telecom.admin.lines import LinesImportForm

FORMS = [
    (BillUploadForm, "import_bills", 20),
    (CdrUploadForm, "import_cdrs", 50),
    (LinesImportForm, "import_lines", 20),
    (SubscriptionImportForm, "import_subscriptions", 20),
    (OutageImportForm, "import_outages", 20),
]


@pytest.mark.parametrize(("form_class", "command", "max_mb"), FORMS)
def test_the_cap_names_the_field_and_the_command(form_class, command, max_mb):
    field = form_class.base_fields["file"]
    assert field.max_bytes == max_mb * 1024 * 1024 and field.command == command
    small = SimpleUploadedFile("a.csv", b"x" * 10)
    assert field.clean(small) is small
    field_copy = form_class().fields["file"]
    field_copy.max_bytes = 9
    with pytest.raises(ValidationError) as caught:
        field_copy.clean(small)
    [message] = caught.value.messages
    assert message.startswith(f"{field.label}: حجم پرونده بیش از") and command in message


@pytest.mark.parametrize(("form_class", "command", "max_mb"), FORMS)
def test_missing_and_empty_files_name_the_field(form_class, command, max_mb):
    field = form_class().fields["file"]
    for value, fragment in (
        (None, "پرونده‌ای انتخاب کنید"),
        (SimpleUploadedFile("a.csv", b""), "خالی"),
    ):
        with pytest.raises(ValidationError) as caught:
            field.clean(value)
        [message] = caught.value.messages
        assert message.startswith(f"{field.label}:") and fragment in message
