"""The full bill print: what the PDF says (read back with pdftotext), that its barcode scans
back to the 26 digits (zbarimg on a pdftoppm rendering), that rendering fetches nothing
outside static, the per-version cache, and who may download it (view and API)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse
from weasyprint import HTML

from billing import pdf as billing_pdf
from billing.models import Bill
from portal.digits import normalize_digits
from subscribers.middleware import ON_BEHALF_SESSION_KEY
from subscribers.models import AuditLog, OnBehalfSession, SubscriptionLink
from subscribers.services.kiosk import kiosk_session_start
from tests.billing.factories import BillFactory, jalali_month, paid
from tests.factories import (
    DistrictOfficeFactory,
    KioskOperatorFactory,
    LegalUserFactory,
    OrganisationAccessFactory,
    StaffFactory,
    SubscriptionFactory,
    SubscriptionLinkFactory,
    UserFactory,
    UtilityCompanyFactory,
    login_with_second_factor,
)

pytestmark = pytest.mark.django_db

# pdftotext wraps right-to-left runs in embedding marks; they are not part of the text.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text as pdftotext extracts it, digits made ASCII and the Persian thousands
    separator removed, so amounts can be searched as plain numbers."""
    source = tmp_path / "bill.pdf"
    source.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    return BIDI_CONTROLS.sub("", normalize_digits(text)).replace("\u066c", "")


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    source = tmp_path / "pages.pdf"
    source.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(source)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def history(subscription, *, periods: int = 12, year: int = 1403, **last):
    """``periods`` monthly bills of ``year`` (all paid but the last) with growing consumption;
    ``last`` overrides fields of the newest one. Returns the newest."""
    bills = []
    for period in range(1, periods + 1):
        fields = {"consumption": 100 + period * 10}
        if period == periods:
            fields.update(last)
        bills.append(BillFactory(subscription=subscription, year=year, period=period, **fields))
        if period < periods:
            paid(bills[-1])
    return bills[-1]


@pytest.fixture
def owned():
    owner = UserFactory()
    company = UtilityCompanyFactory(kind="electricity", name="شرکت توزیع برق تبریز")
    subscription = SubscriptionFactory(office=DistrictOfficeFactory(company=company))
    SubscriptionLinkFactory(user=owner, subscription=subscription)
    bill = history(
        subscription,
        consumption=342,
        previous_reading=12_000,
        current_reading=12_342,
        energy=1_987_000,
        energy_tiers=[
            {"up_to": 100, "units": 100, "rate": 300, "amount": 30_000},
            {"up_to": 200, "units": 100, "rate": 350, "amount": 35_000},
            {"up_to": None, "units": 142, "rate": 2_900, "amount": 411_800},
        ],
        subscription_fee=30_000,
        tax=201_700,
        duties=17_300,
        debt=64_000,
        adjustment=-1_000,
        amount=2_299_000,
    )
    return owner, bill


# --- content -------------------------------------------------------------------------------


def test_pdf_prints_items_readings_dates_and_payable_ids(owned, tmp_path):
    _, bill = owned
    data = billing_pdf.bill_pdf(bill=bill)
    assert data.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bill-pdf.pdf").write_bytes(data)
    text = pdf_text(data, tmp_path)
    for amount in ("2,299,000", "1,987,000", "30,000", "201,700", "17,300", "64,000", "411,800"):
        assert amount.replace(",", "") in text, amount
    assert "-1000" in text or "1000-" in text  # the adjustment keeps its sign
    for reading in ("12000", "12342", "342"):
        assert reading in text
    assert bill.subscription.bill_id in text
    assert bill.payment_id in text
    assert bill.subscription.subscription_number in text
    # Jalali dates in words: period 12 of 1403 runs 1 to 30 Esfand; due 15 days later.
    assert "اسفند 1403" in text
    assert "کیلووات" in text
    assert "پرداخت شده" not in text
    # No national code of anyone is printed.
    assert bill.subscription.holder_id == "" or bill.subscription.holder_id not in text


def test_older_bill_hides_ids_and_says_not_payable(owned, tmp_path):
    _, latest = owned
    older = Bill.objects.get(subscription=latest.subscription, year=1403, period=11)
    older_unpaid = Bill.objects.get(subscription=latest.subscription, year=1403, period=10)
    Bill.objects.filter(pk=older_unpaid.pk).update(paid_amount=0, paid_at=None)
    older_unpaid.refresh_from_db()

    paid_text = pdf_text(billing_pdf.bill_pdf(bill=older), tmp_path)
    assert "پرداخت شده" in paid_text
    assert older.payment_id not in paid_text
    assert older.subscription.bill_id not in paid_text

    unpaid_text = pdf_text(billing_pdf.bill_pdf(bill=older_unpaid), tmp_path)
    assert "این صورتحساب قابل پرداخت نیست" in unpaid_text
    assert older_unpaid.payment_id not in unpaid_text


def test_paid_latest_bill_prints_paid(owned, tmp_path):
    _, bill = owned
    paid(bill)
    text = pdf_text(billing_pdf.bill_pdf(bill=bill), tmp_path)
    assert "پرداخت شده" in text
    assert bill.payment_id not in text


def test_chart_shows_only_the_periods_a_tenant_may_see(owned):
    _, bill = owned
    lease_start = jalali_month(1403, 9)[0]
    tenant_access = billing_pdf.BillAccess(
        subscription=bill.subscription, role=SubscriptionLink.Role.TENANT, since=lease_start
    )
    owner_page = billing_pdf.printable_bill(bill=bill)
    tenant_page = billing_pdf.printable_bill(bill=bill, access=tenant_access)
    assert [b.period for b in owner_page.history] == list(range(12, 0, -1))
    assert [b.period for b in tenant_page.history] == [12, 11, 10, 9]
    assert len(tenant_page.chart["bars"]) == 4


@pytest.mark.skipif(
    not shutil.which("zbarimg") and os.environ.get("CI") != "true",
    reason="zbar-tools is not installed (`make test` installs it; CI never skips this)",
)
def test_barcode_scans_back_to_the_26_digits(owned, tmp_path):
    _, bill = owned
    source = tmp_path / "bill.pdf"
    source.write_bytes(billing_pdf.bill_pdf(bill=bill))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", "-gray", str(source), str(tmp_path / "page")],
        check=True,
    )
    image = next(tmp_path.glob("page*.png"))
    result = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Scode128.enable", str(image)],
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == [bill.barcode]
    assert len(bill.barcode) == 26


def test_barcode_svg_encodes_code128_of_the_digits():
    svg = billing_pdf.barcode_svg("00774831780014200000001770160"[:26])
    assert svg.startswith("<svg") and svg.count("<rect") > 30


# --- isolation -----------------------------------------------------------------------------


def test_fetcher_refuses_network_and_files_outside_static(tmp_path):
    fetcher = billing_pdf.StaticOnlyURLFetcher()
    for url in (
        "http://example.com/x.png",
        "https://127.0.0.1/a.css",
        "ftp://example.com/f",
        "file:///etc/passwd",
        "file://remotehost/srv/x.png",
        billing_pdf.static_roots()[0].as_uri() + "/../portal/settings/base.py",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    font = billing_pdf.font_faces()[0]["src"]
    response = fetcher.fetch(font)
    assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType font
    response.close()


def test_render_with_foreign_urls_fetches_nothing_and_still_renders():
    html = (
        "<html dir='rtl'><head><link rel='stylesheet' href='http://evil.test/x.css'>"
        "<style>@import url('file:///etc/passwd'); body{background:url(http://evil.test/b.png)}"
        "</style></head><body><p>سلام</p><img src='/etc/passwd'>"
        "<img src='https://evil.test/p.png'></body></html>"
    )
    with mock.patch("urllib.request.OpenerDirector.open") as network:
        data = billing_pdf.render_pdf(html)
    assert data.startswith(b"%PDF")
    network.assert_not_called()


def test_fetcher_is_the_only_way_out():
    """The real render routes every resource through our fetcher."""
    seen = []
    original = billing_pdf.StaticOnlyURLFetcher.fetch

    def spy(self, url, headers=None):
        seen.append(url)
        return original(self, url, headers)

    with mock.patch.object(billing_pdf.StaticOnlyURLFetcher, "fetch", spy):
        billing_pdf.render_pdf(billing_pdf.bill_html(pages=[], title="t"))
    assert seen and all(url.startswith("file://") for url in seen)
    assert all("Vazirmatn" in url for url in seen)


# --- cache ---------------------------------------------------------------------------------


def test_second_call_is_served_from_cache_until_the_bill_changes(owned):
    _, bill = owned
    with mock.patch.object(billing_pdf, "render_pdf", wraps=billing_pdf.render_pdf) as render:
        first = billing_pdf.bill_pdf(bill=bill)
        second = billing_pdf.bill_pdf(bill=bill)
        assert render.call_count == 1
        assert first == second
        paid(bill)
        third = billing_pdf.bill_pdf(bill=bill)
        assert render.call_count == 2
        assert third != first


def test_cache_outage_just_renders(owned):
    _, bill = owned
    broken = mock.Mock()
    broken.get.side_effect = ConnectionError("redis down")
    broken.set.side_effect = ConnectionError("redis down")
    with mock.patch.object(billing_pdf, "cache", broken):
        assert billing_pdf.bill_pdf(bill=bill).startswith(b"%PDF")
    assert broken.get.called and broken.set.called


def test_cache_key_carries_uid_version_and_content(owned):
    _, bill = owned
    key = billing_pdf.bill_pdf_cache_key(bill=bill, html="a")
    assert str(bill.uid) in key and f":{bill.version}:" in key
    assert key != billing_pdf.bill_pdf_cache_key(bill=bill, html="b")


# --- who may download ----------------------------------------------------------------------


def _get(client, user, bill, *, api=False):
    client.force_login(user)
    name = "billing_api:bill-pdf" if api else "billing:bill-pdf"
    return client.get(reverse(name, args=[bill.uid]))


@pytest.mark.parametrize("api", [False, True])
def test_owner_downloads_with_a_safe_filename(client, owned, api):
    owner, bill = owned
    response = _get(client, owner, bill, api=api)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    expected = f'attachment; filename="bill-{bill.subscription.bill_id}-1403-12.pdf"'
    assert response["Content-Disposition"] == expected
    assert "no-store" in response["Cache-Control"]
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:4]
        == b"%PDF"
    )


@pytest.mark.parametrize("api", [False, True])
def test_strangers_get_404(client, owned, api):
    _, bill = owned
    other = UserFactory()
    SubscriptionLinkFactory(user=other)
    staff_elsewhere = StaffFactory()
    for user in (other, staff_elsewhere):
        assert _get(client, user, bill, api=api).status_code == 404
    assert (
        client.get(
            reverse("billing:bill-pdf", args=["00000000-0000-0000-0000-000000000000"])
        ).status_code
        == 404
    )


def test_anonymous_is_sent_to_login(client, owned):
    _, bill = owned
    response = client.get(reverse("billing:bill-pdf", args=[bill.uid]))
    assert response.status_code == 302
    assert client.get(reverse("billing_api:bill-pdf", args=[bill.uid])).status_code in (401, 403)


def test_tenant_sees_only_bills_inside_the_lease(client, owned):
    _, bill = owned
    tenant = UserFactory()
    start, _ = jalali_month(1403, 11)
    SubscriptionLinkFactory(
        user=tenant,
        subscription=bill.subscription,
        role=SubscriptionLink.Role.TENANT,
        lease_start=start,
        lease_end=jalali_month(1405, 12)[1],
    )
    inside = bill
    outside = Bill.objects.get(subscription=bill.subscription, year=1403, period=10)
    assert _get(client, tenant, inside).status_code == 200
    assert _get(client, tenant, outside).status_code == 404


def test_organisation_and_its_approved_representative_may_print(client, owned):
    _, bill = owned
    organisation = LegalUserFactory()
    SubscriptionLinkFactory(user=organisation, subscription=bill.subscription)
    approved = OrganisationAccessFactory(organisation=organisation, status="approved")
    pending = OrganisationAccessFactory(organisation=organisation, status="pending")
    assert _get(client, organisation, bill).status_code == 200
    assert _get(client, approved.representative, bill).status_code == 200
    assert _get(client, pending.representative, bill).status_code == 404


def test_kiosk_operator_print_is_audited(client, owned):
    owner, bill = owned
    operator = KioskOperatorFactory()
    session = kiosk_session_start(
        operator=operator.user,
        citizen=owner,
        kiosk=operator.kiosk,
        consent=OnBehalfSession.Consent.OTP,
        client_ip=None,
    )
    login_with_second_factor(client, operator.user)
    django_session = client.session
    django_session[ON_BEHALF_SESSION_KEY] = session.pk
    django_session.save()
    response = client.get(reverse("billing:bill-pdf", args=[bill.uid]))
    assert response.status_code == 200
    row = AuditLog.objects.get(action="billing.bill_print")
    assert (row.actor, row.on_behalf_of, row.kiosk) == (operator.user, owner, operator.kiosk)
    assert row.object_id == str(bill.pk)


def test_bare_weasyprint_renders_persian_with_the_local_font():
    """Guards the environment the bill relies on (Pango, HarfBuzz, Vazirmatn)."""
    font = billing_pdf.font_faces()[0]["src"]
    html = (
        f"<style>@font-face{{font-family:V;src:url('{font}')}}body{{font-family:V}}</style>"
        "<p dir='rtl'>صورتحساب</p>"
    )
    data = HTML(string=html, url_fetcher=billing_pdf.StaticOnlyURLFetcher()).write_pdf()
    assert data.startswith(b"%PDF")
