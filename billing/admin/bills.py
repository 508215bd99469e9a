"""Bills and their payments in admin: read-only (they come from the company's billing system
through the imports, or from the self-reading and settlement services) and scoped to the
staff member's office through ``bills_for_staff``. A bill or payment of another office is the
same 404 as one that does not exist.

Both tables grow by millions of rows, so the changelists never COUNT the whole table: Django's
full-count line is off and the paginator counts at most ``BoundedCountPaginator.cap`` rows.
"""

from __future__ import annotations

from functools import cached_property

import jdatetime
from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from billing.admin.tariffs import is_system_administrator
from billing.models import Bill, BillPayment
from billing.selectors.bills import bills_for_staff
from portal.digits import normalize_digits, to_persian_digits
from portal.jalali import jalali_display


def rials(value: int | None) -> str:
    """``۱٬۲۵۰٬۰۰۰`` (Persian digits, Persian thousands separator)."""
    if value is None:
        return "—"
    return to_persian_digits(f"{value:,}").replace(",", "٬")


def jalali_day(value) -> str:
    return jalali_display(value, with_time=False) if value else "—"


def ltr(value: str) -> str:
    """An identifier kept left-to-right inside RTL text."""
    return format_html('<span dir="ltr">{}</span>', to_persian_digits(value))


class BoundedCountPaginator(Paginator):
    """Counts at most ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT cap)``), so a page of a
    table with millions of bills costs the same as a page of a small one. Past the cap the
    pages simply stop; staff narrow the list with search or filters instead."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            return object_list[: self.cap].count()
        return min(len(object_list), self.cap)


def bill_title(bill: Bill) -> str:
    """``۱۰۰۰۰۲۲ — ۱۴۰۵/۰۴ (نسخه ۱)``: what staff call a bill (``str(bill)`` shows ids)."""
    return to_persian_digits(
        f"{bill.subscription.bill_id} — {bill.year}/{bill.period:02d} (نسخه {bill.version})"
    )


def bill_link(bill: Bill | None) -> str:
    if bill is None:
        return "—"
    url = reverse("admin:billing_bill_change", args=[bill.pk])
    return format_html('<a href="{}" dir="rtl">{}</a>', url, bill_title(bill))


class JalaliYearFilter(admin.SimpleListFilter):
    """The last few Jalali years, without asking the table (``DISTINCT year`` would scan it)."""

    title = "سال"
    parameter_name = "year"
    years_back = 6

    def lookups(self, request, model_admin):
        current = jdatetime.date.today().year
        return [
            (str(y), to_persian_digits(y)) for y in range(current, current - self.years_back, -1)
        ]

    def queryset(self, request, queryset):
        value = normalize_digits(self.value() or "")
        if value.isdigit():
            return queryset.filter(**{self.lookup: int(value)})
        return queryset

    lookup = "year"


class PaymentYearFilter(JalaliYearFilter):
    lookup = "bill__year"


class BillingScopedAdmin(admin.ModelAdmin):
    """Read-only, office-scoped, no full COUNT; out-of-scope ids are a real 404."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # one COUNT per filter choice otherwise
    paginator = BoundedCountPaginator
    list_per_page = 50
    # Filters only system administrators get (they see every office).
    all_offices_filters: tuple[str, ...] = ()

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_list_filter(self, request: HttpRequest):
        if is_system_administrator(request):
            return self.list_filter
        return [f for f in self.list_filter if f not in self.all_offices_filters]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Identifiers are typed with Persian digits, spaces and dashes as often as not, and
        # bill and payment IDs are stored without leading zeros (DOMAIN.md §1).
        term = normalize_digits(search_term or "").strip()
        compact = term.replace("-", "").replace(" ", "")
        if not compact.isdigit():
            return super().get_search_results(request, queryset, term)
        found, duplicates = super().get_search_results(request, queryset, compact)
        stripped = compact.lstrip("0")
        if stripped and stripped != compact:
            more, more_duplicates = super().get_search_results(request, queryset, stripped)
            found, duplicates = found | more, duplicates or more_duplicates
        return found, duplicates

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = BillPayment
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ["reference", "amount_display", "paid_at_display", "channel", "payment_id_display"]
    readonly_fields = fields

    @admin.display(description="شناسه پرداخت")
    def payment_id_display(self, obj: BillPayment) -> str:
        return ltr(obj.payment_id)

    @admin.display(description="مبلغ (ریال)")
    def amount_display(self, obj: BillPayment) -> str:
        return rials(obj.amount)

    @admin.display(description="زمان پرداخت")
    def paid_at_display(self, obj: BillPayment) -> str:
        return jalali_display(obj.paid_at)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Bill)
class BillAdmin(BillingScopedAdmin):
    list_display = [
        "bill_id",
        "period_display",
        "kind",
        "status",
        "consumption_display",
        "amount_display",
        "paid",
        "due_date_display",
        "office",
    ]
    list_select_related = ["subscription__company", "subscription__office"]
    list_filter = [
        "status",
        "kind",
        JalaliYearFilter,
        "subscription__company__kind",
        "subscription__office",
    ]
    all_offices_filters = ("subscription__office",)
    search_fields = ["=subscription__bill_id", "=payment_id", "=subscription__subscription_number"]
    search_help_text = "شناسه قبض، شناسه پرداخت یا شماره اشتراک (ارقام فارسی هم پذیرفته است)"
    # Newest first by primary key: the index answers a page without sorting the table.
    ordering = ["-pk"]
    inlines = [PaymentInline]
    fieldsets = [
        (
            "صورتحساب",
            {
                "fields": [
                    "subscription",
                    "bill_id",
                    "period_display",
                    "period_range",
                    "kind",
                    "status",
                    "version_display",
                    "superseded_by_display",
                ]
            },
        ),
        (
            "مصرف",
            {
                "fields": [
                    "previous_reading_display",
                    "current_reading_display",
                    "consumption_display",
                ]
            },
        ),
        (
            "اقلام",
            {
                "fields": [
                    "energy_display",
                    "energy_tiers_display",
                    "subscription_fee_display",
                    "tax_display",
                    "duties_display",
                    "debt_display",
                    "adjustment_display",
                ]
            },
        ),
        (
            "پرداخت",
            {
                "fields": [
                    "amount_display",
                    "payment_id_display",
                    "due_date_display",
                    "paid_amount_display",
                    "paid_at_display",
                ]
            },
        ),
        ("منشأ", {"fields": ["source", "request", "created_at_display"]}),
    ]
    readonly_fields = [
        "subscription",
        "bill_id",
        "period_display",
        "period_range",
        "kind",
        "status",
        "version_display",
        "superseded_by_display",
        "previous_reading_display",
        "current_reading_display",
        "consumption_display",
        "energy_display",
        "energy_tiers_display",
        "subscription_fee_display",
        "tax_display",
        "duties_display",
        "debt_display",
        "adjustment_display",
        "amount_display",
        "payment_id_display",
        "due_date_display",
        "paid_amount_display",
        "paid_at_display",
        "source",
        "request",
        "created_at_display",
    ]

    def get_list_display(self, request: HttpRequest):
        # Office staff see one office only: the column would repeat it on every row.
        if is_system_administrator(request):
            return self.list_display
        return [name for name in self.list_display if name != "office"]

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        # The changelist asks for the queryset several times per page; bills_for_staff asks
        # the database whether the user sees all offices, so ask it once per request.
        cached = getattr(request, "_billing_bills", None)
        if cached is None:
            cached = request._billing_bills = bills_for_staff(user=request.user)
        return cached.all()

    @admin.display(description="شناسه قبض", ordering="subscription__bill_id")
    def bill_id(self, obj: Bill) -> str:
        return ltr(obj.subscription.bill_id)

    @admin.display(description="دوره", ordering="year")
    def period_display(self, obj: Bill) -> str:
        return to_persian_digits(f"{obj.year}/{obj.period:02d}")

    @admin.display(description="بازه")
    def period_range(self, obj: Bill) -> str:
        return f"{jalali_day(obj.period_start)} تا {jalali_day(obj.period_end)}"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["subtitle"] = bill_title(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="نسخه")
    def version_display(self, obj: Bill) -> str:
        return to_persian_digits(obj.version)

    @admin.display(description="جایگزین‌شده با")
    def superseded_by_display(self, obj: Bill) -> str:
        return bill_link(obj.superseded_by)

    @admin.display(description="شمارنده قبلی")
    def previous_reading_display(self, obj: Bill) -> str:
        return rials(obj.previous_reading)

    @admin.display(description="شمارنده فعلی")
    def current_reading_display(self, obj: Bill) -> str:
        return rials(obj.current_reading)

    @admin.display(description="مصرف")
    def consumption_display(self, obj: Bill) -> str:
        return f"{rials(obj.consumption)} {obj.unit}"

    @admin.display(description="مبلغ (ریال)", ordering="amount")
    def amount_display(self, obj: Bill) -> str:
        return rials(obj.amount)

    @admin.display(description="پرداخت‌شده", boolean=True)
    def paid(self, obj: Bill) -> bool:
        return obj.is_paid

    @admin.display(description="مهلت پرداخت", ordering="due_date")
    def due_date_display(self, obj: Bill) -> str:
        return jalali_day(obj.due_date)

    @admin.display(description="امور")
    def office(self, obj: Bill) -> str:
        return obj.subscription.office.name

    @admin.display(description="شناسه پرداخت")
    def payment_id_display(self, obj: Bill) -> str:
        return ltr(obj.payment_id)

    @admin.display(description="بهای مصرف (ریال)")
    def energy_display(self, obj: Bill) -> str:
        return rials(obj.energy)

    @admin.display(description="پلکان‌های مصرف")
    def energy_tiers_display(self, obj: Bill) -> str:
        if not obj.energy_tiers:
            return "—"
        lines = []
        for tier in obj.energy_tiers:
            up_to = rials(tier.get("up_to")) if tier.get("up_to") else "بیشتر"
            lines.append(
                f"تا {up_to}: {rials(tier.get('units'))} × {rials(tier.get('rate'))} = "
                f"{rials(tier.get('amount'))}"
            )
        return "؛ ".join(lines)

    @admin.display(description="آبونمان (ریال)")
    def subscription_fee_display(self, obj: Bill) -> str:
        return rials(obj.subscription_fee)

    @admin.display(description="مالیات بر ارزش افزوده (ریال)")
    def tax_display(self, obj: Bill) -> str:
        return rials(obj.tax)

    @admin.display(description="عوارض (ریال)")
    def duties_display(self, obj: Bill) -> str:
        return rials(obj.duties)

    @admin.display(description="بدهی قبلی (ریال)")
    def debt_display(self, obj: Bill) -> str:
        return rials(obj.debt)

    @admin.display(description="کسر و اضافه (ریال)")
    def adjustment_display(self, obj: Bill) -> str:
        return rials(obj.adjustment)

    @admin.display(description="مبلغ پرداخت‌شده (ریال)")
    def paid_amount_display(self, obj: Bill) -> str:
        return rials(obj.paid_amount)

    @admin.display(description="زمان تسویه")
    def paid_at_display(self, obj: Bill) -> str:
        return jalali_display(obj.paid_at) if obj.paid_at else "پرداخت نشده"

    @admin.display(description="زمان ثبت")
    def created_at_display(self, obj: Bill) -> str:
        return jalali_display(obj.created_at)


@admin.register(BillPayment)
class BillPaymentAdmin(BillingScopedAdmin):
    list_display = [
        "reference_display",
        "bill_id",
        "period_display",
        "amount_display",
        "paid_at_display",
        "channel",
    ]
    list_select_related = ["bill__subscription"]
    list_filter = ["channel", PaymentYearFilter]
    search_fields = ["=reference", "=bill__subscription__bill_id", "=payment_id"]
    search_help_text = "شماره پیگیری بانک، شناسه قبض یا شناسه پرداخت"
    ordering = ["-pk"]
    fields = [
        "bill_display",
        "bill_id",
        "period_display",
        "payment_id_display",
        "amount_display",
        "paid_at_display",
        "channel",
        "reference_display",
        "source",
    ]
    readonly_fields = fields

    def scoped_queryset(self, request: HttpRequest) -> QuerySet:
        # The same rule as bills_for_staff, on the payment's bill.
        user = request.user
        queryset = BillPayment.objects.all()
        if not (user.is_authenticated and user.is_staff):
            return queryset.none()
        if is_system_administrator(request):
            return queryset
        if user.office_id is None:
            return queryset.none()
        return queryset.filter(bill__subscription__office_id=user.office_id)

    @admin.display(description="صورتحساب")
    def bill_display(self, obj: BillPayment) -> str:
        return bill_link(obj.bill)

    @admin.display(description="شماره پیگیری بانک", ordering="reference")
    def reference_display(self, obj: BillPayment) -> str:
        return ltr(obj.reference)

    @admin.display(description="شناسه قبض")
    def bill_id(self, obj: BillPayment) -> str:
        return ltr(obj.bill.subscription.bill_id)

    @admin.display(description="دوره")
    def period_display(self, obj: BillPayment) -> str:
        return to_persian_digits(f"{obj.bill.year}/{obj.bill.period:02d}")

    @admin.display(description="شناسه پرداخت")
    def payment_id_display(self, obj: BillPayment) -> str:
        return ltr(obj.payment_id)

    @admin.display(description="مبلغ (ریال)", ordering="amount")
    def amount_display(self, obj: BillPayment) -> str:
        return rials(obj.amount)

    @admin.display(description="زمان پرداخت", ordering="paid_at")
    def paid_at_display(self, obj: BillPayment) -> str:
        return jalali_display(obj.paid_at)
