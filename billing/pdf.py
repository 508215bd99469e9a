"""The full bill print (seed 000): one bill, or many bills as one document, as PDF by WeasyPrint.

What a page shows follows the history rules: every line item, readings and consumption, the
due date, a small consumption chart of the last periods the viewer may see (a tenant never sees
the previous occupant's consumption), and the bill ID, payment ID and 26-digit barcode only on
the one bill that may be paid — the latest issued bill of the subscription, while unpaid. Every
other bill says why it is not payable. No national code is printed.

Rendering is isolated from the outside world: ``StaticOnlyURLFetcher`` lets WeasyPrint read
only ``data:`` URLs and files inside the static directories, so a template or stylesheet that
names ``http://…`` or ``/etc/passwd`` renders without that resource instead of fetching it.

A render costs ~100–300 ms, so single-bill PDFs are cached. The key is the bill's uid and
version plus a digest of the HTML that was about to be rendered: the HTML already carries the
paid state, the payable IDs, the history and the template, so anything that would change the
printed page changes the key, and nothing has to remember to invalidate it. The cache is a
speed-up only: when it fails (Redis down raises in Django's Redis backend) the bill is rendered.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import barcode
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from billing.models import Bill
from billing.selectors.bills import BillAccess, bills_visible
from portal.digits import to_persian_digits
from portal.errors import PortalError
from subscribers.models import SubscriptionLink

logger = logging.getLogger(__name__)

# Bump when WeasyPrint, the fonts or anything else that changes the output without changing
# the HTML is upgraded, so cached PDFs of the old look are not served again.
PDF_TEMPLATE_VERSION = 1
CACHE_TIMEOUT = 24 * 60 * 60
HISTORY_PERIODS = 12
# One combined PDF renders every page in one request; past this the user must filter.
COMBINED_MAX_BILLS = 200

TEMPLATE = "billing/pdf/bill.html"
FONT_FILES = {
    400: "vendor/vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf",
    700: "vendor/vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf",
}


# --- fetching resources --------------------------------------------------------------------


def static_roots() -> list[Path]:
    """The directories whose files a bill may use: the source static dirs and STATIC_ROOT."""
    roots = [Path(p) for p in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots if root.is_dir()]


class RefusedResource(ValueError):
    """A template or stylesheet named a resource outside the static directories."""


class StaticOnlyURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher that reads ``data:`` URLs and files under the static
    directories, and refuses everything else (network, other files, other schemes).

    Refusing raises a ``ValueError``: WeasyPrint logs it and renders without the resource,
    so a stray URL in a template never fetches anything and never breaks the bill.
    """

    def __init__(self, roots: list[Path] | None = None) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = roots if roots is not None else static_roots()

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise RefusedResource(f"refused non-local resource: {url[:80]}")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedResource(f"refused remote file: {url[:80]}")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            raise RefusedResource(f"refused file outside static: {path}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )


def _static_uri(relative: str) -> str:
    found = finders.find(relative)
    if found is None and settings.STATIC_ROOT:
        candidate = Path(settings.STATIC_ROOT) / relative
        found = str(candidate) if candidate.is_file() else None
    if found is None:
        raise PortalError("pdf_font_missing", "قلم فارسی صورتحساب روی سرور یافت نشد.")
    return Path(found).resolve().as_uri()


def font_faces() -> list[dict]:
    return [{"weight": weight, "src": _static_uri(path)} for weight, path in FONT_FILES.items()]


# --- what a page shows ---------------------------------------------------------------------


def barcode_svg(digits: str, *, module_mm: float = 0.3, height_mm: float = 11.0) -> str:
    """``digits`` as a Code 128 barcode (charset C: two digits per symbol) in inline SVG.

    python-barcode computes the symbols and check character; the SVG is drawn here in module
    units with a 10-module quiet zone either side, so scanners find the edges.
    """
    modules = barcode.get("code128", digits).build()[0]
    quiet = 10
    width = len(modules) + 2 * quiet
    bars = []
    x = 0
    while x < len(modules):
        if modules[x] == "1":
            run = 1
            while x + run < len(modules) and modules[x + run] == "1":
                run += 1
            bars.append(f'<rect x="{x + quiet}" y="0" width="{run}" height="10"/>')
            x += run
        else:
            x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 10" '
        f'width="{width * module_mm:.2f}mm" height="{height_mm}mm" preserveAspectRatio="none" '
        f'shape-rendering="crispEdges" role="img" aria-label="barcode">'
        f'<rect x="0" y="0" width="{width}" height="10" fill="#fff"/>'
        f'<g fill="#000">{"".join(bars)}</g></svg>'
    )


@dataclass
class ChartBar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    current: bool

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def value_y(self) -> float:
        return self.y - 4


@dataclass
class PrintableBill:
    """One bill with what its page needs besides the bill itself."""

    bill: Bill
    payable: bool
    history: list[Bill] = field(default_factory=list)

    @property
    def not_payable_reason(self) -> str:
        if self.payable:
            return ""
        if self.bill.status == Bill.Status.SUPERSEDED:
            return "این صورتحساب با صورتحساب اصلاحی جایگزین شده است."
        if self.bill.is_paid:
            return ""
        return "صورتحساب دوره جدیدتری صادر شده است؛ برای پرداخت، آخرین صورتحساب را ببینید."

    @property
    def energy_rows(self) -> list[dict]:
        rows = []
        lower = 0
        for tier in self.bill.energy_tiers or []:
            up_to = tier.get("up_to")
            if up_to is None:
                label = f"پلکان بیش از {to_persian_digits(lower)}"
            else:
                label = f"پلکان {to_persian_digits(lower)} تا {to_persian_digits(up_to)}"
                lower = up_to
            rows.append(
                {
                    "label": label,
                    "units": tier.get("units", 0),
                    "rate": tier.get("rate", 0),
                    "amount": tier.get("amount", 0),
                }
            )
        return rows

    @property
    def barcode(self) -> str:
        return self.bill.barcode if self.payable else ""

    @property
    def barcode_svg(self) -> str:
        return barcode_svg(self.bill.barcode) if self.payable else ""

    @property
    def barcode_groups(self) -> str:
        code = self.bill.barcode
        return f"{code[:13]} {code[13:]}"

    @property
    def chart(self) -> dict:
        return consumption_chart(self.history, current=self.bill)


def consumption_chart(history: list[Bill], *, current: Bill) -> dict:
    """Bars (oldest on the right, as Persian reads) of the last periods' consumption."""
    periods = sorted(history, key=lambda b: (b.year, b.period))[-HISTORY_PERIODS:]
    if not periods:
        return {"bars": [], "width": 0, "height": 0}
    slot, bar_width, top, plot = 40.0, 26.0, 20.0, 150.0
    # A fixed width of HISTORY_PERIODS slots: a short history keeps the same scale and size.
    width = slot * HISTORY_PERIODS
    highest = max((b.consumption for b in periods), default=0) or 1
    bars = []
    for index, bill in enumerate(periods):
        height = max(plot * bill.consumption / highest, 1.0 if bill.consumption else 0.0)
        # Right-to-left: the oldest period sits at the right edge.
        x = width - slot * (index + 1) + (slot - bar_width) / 2
        bars.append(
            ChartBar(
                label=to_persian_digits(f"{bill.year % 100:02d}/{bill.period:02d}"),
                value=bill.consumption,
                x=x,
                y=top + plot - height,
                width=bar_width,
                height=height,
                current=(bill.year, bill.period) == (current.year, current.period),
            )
        )
    return {
        "bars": bars,
        "width": width,
        "height": top + plot + 22,
        "base": top + plot,
        "label_y": top + plot + 17,
    }


def _owner_access(bill: Bill) -> BillAccess:
    return BillAccess(subscription=bill.subscription, role=SubscriptionLink.Role.OWNER)


def printable_bill(*, bill: Bill, access: BillAccess | None = None) -> PrintableBill:
    """Gather one bill's page: payable or not, and the history its viewer may see.

    Payable means the latest issued bill of the whole subscription, unpaid — not the latest
    the viewer sees (a tenant whose lease ended must not be shown IDs of an old bill).
    """
    latest = bills_visible(access=_owner_access(bill)).select_related(None).only("pk").first()
    payable = (
        latest is not None
        and latest.pk == bill.pk
        and bill.status == Bill.Status.ISSUED
        and not bill.is_paid
    )
    history = list(
        bills_visible(access=access or _owner_access(bill))
        .select_related(None)
        .filter(Q(year__lt=bill.year) | Q(year=bill.year, period__lte=bill.period))
        .only("year", "period", "consumption", "kind", "version")[: HISTORY_PERIODS * 2]
    )
    return PrintableBill(bill=bill, payable=payable, history=_one_per_period(history))


def _one_per_period(bills: list[Bill]) -> list[Bill]:
    """Settlement or provisional bills share a period with the periodic one: chart one bar."""
    seen: dict[tuple[int, int], Bill] = {}
    for bill in bills:
        seen.setdefault((bill.year, bill.period), bill)
    return list(seen.values())[:HISTORY_PERIODS]


def printable_bills(*, bills: list[Bill]) -> list[PrintableBill]:
    """Pages for many bills (an organisation's combined PDF) in three queries, whatever
    the number of bills: latest bill per subscription, and the last periods of each."""
    if not bills:
        return []
    subscription_ids = {b.subscription_id for b in bills}
    ranked = (
        Bill.objects.filter(subscription_id__in=subscription_ids, status=Bill.Status.ISSUED)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("subscription_id")],
                order_by=[
                    F("year").desc(),
                    F("period").desc(),
                    F("version").desc(),
                    F("pk").desc(),
                ],
            )
        )
        .filter(rank__lte=HISTORY_PERIODS * 2)
        .only("subscription_id", "year", "period", "consumption", "kind", "version")
    )
    by_subscription: dict[int, list[Bill]] = {}
    for row in ranked.order_by("subscription_id", "rank"):
        by_subscription.setdefault(row.subscription_id, []).append(row)
    pages = []
    for bill in bills:
        rows = by_subscription.get(bill.subscription_id, [])
        latest = rows[0] if rows else None
        payable = (
            latest is not None
            and latest.pk == bill.pk
            and bill.status == Bill.Status.ISSUED
            and not bill.is_paid
        )
        history = [r for r in rows if (r.year, r.period) <= (bill.year, bill.period)]
        pages.append(PrintableBill(bill=bill, payable=payable, history=_one_per_period(history)))
    return pages


# --- rendering -----------------------------------------------------------------------------


def bill_html(*, pages: list[PrintableBill], title: str) -> str:
    return render_to_string(
        TEMPLATE,
        {
            "pages": pages,
            "title": title,
            "fonts": font_faces(),
            "printed_at": timezone.now(),
        },
    )


def render_pdf(html: str) -> bytes:
    """HTML → PDF bytes with the static-only fetcher (no network, nothing outside static)."""
    fetcher = StaticOnlyURLFetcher()
    base_url = static_roots()[0].as_uri() + "/" if static_roots() else None
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf(
        font_config=FontConfiguration()
    )


def _cache_get(key: str) -> bytes | None:
    try:
        return cache.get(key)
    except Exception:
        logger.warning("bill PDF cache unavailable on get", exc_info=True)
        return None


def _cache_set(key: str, value: bytes) -> None:
    try:
        cache.set(key, value, CACHE_TIMEOUT)
    except Exception:
        logger.warning("bill PDF cache unavailable on set", exc_info=True)


def bill_pdf_cache_key(*, bill: Bill, html: str) -> str:
    digest = hashlib.sha256(html.encode()).hexdigest()[:32]
    return f"billing:pdf:v{PDF_TEMPLATE_VERSION}:{bill.uid}:{bill.version}:{digest}"


def bill_pdf(*, bill: Bill, access: BillAccess | None = None, use_cache: bool = True) -> bytes:
    """The full print of ``bill`` as PDF bytes, as ``access``'s holder may see it.

    ``access`` bounds the consumption chart (a tenant's lease); without it the bill is
    printed as its owner sees it. Reads the bill's latest sibling and history (two queries),
    renders the HTML, and returns the cached PDF for that exact HTML or renders and caches it.
    """
    page = printable_bill(bill=bill, access=access)
    html = bill_html(pages=[page], title=bill_title(bill))
    key = bill_pdf_cache_key(bill=bill, html=html)
    if use_cache and (cached := _cache_get(key)) is not None:
        return cached
    pdf = render_pdf(html)
    if use_cache:
        _cache_set(key, pdf)
    return pdf


def bills_pdf(*, bills: list[Bill], title: str) -> bytes:
    """Many bills as one PDF document, one page each (an organisation's combined print).
    Not cached: the selection changes with every filter. ``PortalError`` past
    ``COMBINED_MAX_BILLS`` bills, so one request cannot hold a worker for minutes."""
    if not bills:
        raise PortalError("nothing_to_print", "صورتحسابی برای چاپ با این فیلترها وجود ندارد.")
    if len(bills) > COMBINED_MAX_BILLS:
        raise PortalError(
            "too_many_bills",
            f"چاپ یکجا حداکثر {to_persian_digits(COMBINED_MAX_BILLS)} صورتحساب است؛ "
            "با فیلترها (شهر، نوع خدمت، دوره) تعداد را کم کنید.",
        )
    return render_pdf(bill_html(pages=printable_bills(bills=bills), title=title))


def bill_title(bill: Bill) -> str:
    company = bill.subscription.company
    return (
        f"صورتحساب {company.get_kind_display()} دوره "
        f"{to_persian_digits(bill.period)} سال {to_persian_digits(bill.year)}"
    )


def bill_filename(bill: Bill) -> str:
    """A safe ASCII download name: ``bill-<bill id>-<year>-<period>.pdf``."""
    return f"bill-{bill.subscription.bill_id}-{bill.year}-{bill.period:02d}.pdf"


def bill_print(
    *,
    user,
    uid,
    operator=None,
    kiosk_session=None,
    ip: str | None = None,
) -> tuple[Bill, bytes]:
    """The PDF of bill ``uid`` for ``user`` (the citizen, also during a kiosk session).

    ``NotFound`` when the bill is missing or not visible to ``user`` (a tenant outside the
    lease, another subscriber, staff). When a kiosk operator acts for the citizen the print
    is audited as ``billing.bill_print`` with the operator as actor.
    """
    from billing.selectors.bills import bill_access_for_user, bill_get_for_user
    from subscribers.services.audit import audit_record

    bill = bill_get_for_user(user=user, uid=uid)
    access = bill_access_for_user(user=user, bill_id=bill.subscription.bill_id)
    pdf = bill_pdf(bill=bill, access=access)
    if kiosk_session is not None:
        audit_record(
            actor=operator,
            action="billing.bill_print",
            obj=bill,
            on_behalf_of=user,
            kiosk=kiosk_session.kiosk,
            ip=ip,
            details={"year": bill.year, "period": bill.period},
        )
    return bill, pdf
