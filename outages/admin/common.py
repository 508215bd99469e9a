"""Helpers shared by the outages admin modules: Jalali cells, durations, read-only inlines."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.http import Http404
from django.utils.html import format_html

from portal.digits import to_persian_digits
from portal.identifiers import mask_mobile
from portal.jalali import jalali_display
from subscribers.admin.scoping import OfficeScopedAdminMixin
from subscribers.models import City
from subscribers.permissions import sees_all_offices


def jalali(value) -> str:
    return jalali_display(value) if value else "—"


def masked_mobile_html(mobile: str) -> str:
    """``۰۹۱۴***۲۲۳۳`` kept left-to-right inside RTL text (or the bidi algorithm flips it)."""
    return format_html('<span dir="ltr">{}</span>', to_persian_digits(mask_mobile(mobile)))


def duration_text(value: dt.timedelta | None) -> str:
    """``۲ ساعت و ۵ دقیقه`` (Persian digits); ``—`` for none."""
    if value is None:
        return "—"
    minutes = max(0, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        text = f"{hours} ساعت و {minutes} دقیقه"
    elif hours:
        text = f"{hours} ساعت"
    else:
        text = f"{minutes} دقیقه"
    return to_persian_digits(text)


def sees_all(request) -> bool:
    """``sees_all_offices`` once per request (it is a query, and admin asks it often)."""
    cached = getattr(request, "_outages_sees_all", None)
    if cached is None:
        cached = request._outages_sees_all = sees_all_offices(request.user)
    return cached


class OfficeCityFilter(admin.RelatedFieldListFilter):
    """The city filter offers only the cities of the staff member's office."""

    def field_choices(self, field, request, model_admin):
        if sees_all(request):
            return super().field_choices(field, request, model_admin)
        cities = City.objects.filter(offices=request.user.office_id).order_by("name")
        return [(city.pk, str(city)) for city in cities]


class ScopedAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    """Office-scoped admin whose out-of-scope (or missing) objects are a real 404, never
    Django's redirect to the changelist: an id of another office tells nothing."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are one COUNT per filter choice
    list_per_page = 50
    # Filters only system administrators get (they see every office).
    all_offices_filters: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if sees_all(request):
            return queryset
        if request.user.office_id is None:
            return queryset.none()
        return queryset.filter(**{self.office_lookup: request.user.office_id})

    def get_list_filter(self, request):
        if sees_all(request):
            return self.list_filter
        return [f for f in self.list_filter if f not in self.all_offices_filters]

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404

    def get_object_or_404(self, request, object_id):
        obj = self.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        return obj


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
