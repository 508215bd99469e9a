"""Incidents in admin: the office's queue, the read-only change page with workflow buttons,
and the metrics page.

Nothing here writes an incident directly: every field is read-only and each button posts to
a small view that calls ``outages.services.incidents``. Each form carries the state the page
showed (``seen_state``); the service refuses with "conflict" when the incident moved meanwhile,
so of two staff acting at once one wins and the other is told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outages.admin import forms as admin_forms
from outages.admin.common import (
    OfficeCityFilter,
    ReadOnlyInline,
    ScopedAdmin,
    duration_text,
    jalali,
    masked_mobile_html,
    sees_all,
)
from outages.admin.metrics import incident_metrics
from outages.models import (
    INCIDENT_TRANSITIONS,
    OPEN_INCIDENT_STATES,
    Incident,
    IncidentEvent,
    IncidentState,
    OutageReport,
)
from outages.services import incidents as services
from portal.digits import to_persian_digits
from portal.errors import NotFound, PortalError
from requests_app.admin.forms import JalaliDateField

# --- Workflow actions ---------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentAction:
    name: str
    label: str
    form: type[forms.Form]
    run: Callable[[Incident, object, forms.Form], str]
    # The state this action moves to (None: not a move, e.g. a note).
    to: str | None = None
    page: bool = True
    danger: bool = False


def _investigate(incident, actor, form) -> str:
    services.incident_move(
        incident=incident,
        to=IncidentState.INVESTIGATING,
        actor=actor,
        seen_state=form.cleaned_data["seen_state"],
    )
    return "بررسی حادثه شروع شد."


def _dispatch(incident, actor, form) -> str:
    services.incident_assign_crew(
        incident=incident,
        actor=actor,
        crew=form.cleaned_data["crew"],
        seen_state=form.cleaned_data["seen_state"],
    )
    return f"اکیپ «{form.cleaned_data['crew']}» برای این حادثه ثبت شد."


def _resolve(incident, actor, form) -> str:
    services.incident_move(
        incident=incident,
        to=IncidentState.RESOLVED,
        actor=actor,
        restored_at=form.restored_at(),
        result=form.cleaned_data["result"],
        seen_state=form.cleaned_data["seen_state"],
    )
    return "وصل برق ثبت شد و نتیجه برای گزارش‌دهندگان پیامک می‌شود."


def _close(incident, actor, form) -> str:
    services.incident_move(
        incident=incident,
        to=IncidentState.CLOSED,
        actor=actor,
        close_reason=form.cleaned_data["close_reason"],
        result=form.cleaned_data["result"],
        seen_state=form.cleaned_data["seen_state"],
    )
    return "حادثه بسته شد و نتیجه برای گزارش‌دهندگان پیامک می‌شود."


def _note(incident, actor, form) -> str:
    services.incident_add_note(
        incident=incident,
        actor=actor,
        note=form.cleaned_data["note"],
        public=form.cleaned_data["public"],
    )
    return "یادداشت ثبت شد."


ACTIONS: dict[str, IncidentAction] = {
    action.name: action
    for action in (
        IncidentAction(
            "investigate",
            "شروع بررسی",
            admin_forms.SeenStateForm,
            _investigate,
            to=IncidentState.INVESTIGATING,
            page=False,
        ),
        IncidentAction(
            "dispatch",
            "اعزام اکیپ",
            admin_forms.DispatchForm,
            _dispatch,
            to=IncidentState.CREW_DISPATCHED,
        ),
        IncidentAction(
            "resolve", "وصل شد", admin_forms.ResolveForm, _resolve, to=IncidentState.RESOLVED
        ),
        IncidentAction(
            "close", "بستن", admin_forms.CloseForm, _close, to=IncidentState.CLOSED, danger=True
        ),
        IncidentAction("note", "افزودن یادداشت", admin_forms.NoteForm, _note),
    )
}
CREW_CHANGE_LABEL = "تغییر اکیپ"


def available_actions(incident: Incident) -> list[IncidentAction]:
    """The buttons for the incident's current state: the moves the transition table allows
    from it, a crew change while dispatched, and notes."""
    allowed = INCIDENT_TRANSITIONS.get(incident.state, frozenset())
    actions = [a for a in ACTIONS.values() if a.to is not None and a.to in allowed]
    if incident.state == IncidentState.CREW_DISPATCHED:
        actions.insert(0, ACTIONS["dispatch"])
    actions.append(ACTIONS["note"])
    return actions


def action_label(incident: Incident, action: IncidentAction) -> str:
    if action.name == "dispatch" and incident.state == IncidentState.CREW_DISPATCHED:
        return CREW_CHANGE_LABEL
    return action.label


# --- Inlines and filters -------------------------------------------------------------------


class IncidentEventInline(ReadOnlyInline):
    model = IncidentEvent
    verbose_name = _("رویداد")
    verbose_name_plural = _("رویدادها")
    fields = ["time", "kind", "step", "actor_name", "note", "public"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor").order_by("created_at", "id")

    @admin.display(description=_("زمان"))
    def time(self, obj: IncidentEvent) -> str:
        return jalali(obj.created_at)

    @admin.display(description=_("وضعیت"))
    def step(self, obj: IncidentEvent) -> str:
        if obj.old_state and obj.old_state != obj.new_state:
            return f"{obj.get_old_state_display()} ← {obj.get_new_state_display()}"
        return obj.get_new_state_display()

    @admin.display(description=_("انجام‌دهنده"))
    def actor_name(self, obj: IncidentEvent) -> str:
        return obj.actor.display_name if obj.actor_id else "سامانه"


class OutageReportInline(ReadOnlyInline):
    model = OutageReport
    verbose_name = _("گزارش")
    verbose_name_plural = _("گزارش‌ها")
    fields = ["code_fa", "channel", "created", "masked_mobile"]
    readonly_fields = fields
    fk_name = "incident"

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("created_at", "id")

    @admin.display(description=_("کد رهگیری"))
    def code_fa(self, obj: OutageReport) -> str:
        return to_persian_digits(obj.code)

    @admin.display(description=_("زمان ثبت"))
    def created(self, obj: OutageReport) -> str:
        return jalali(obj.created_at)

    @admin.display(description=_("تلفن همراه"))
    def masked_mobile(self, obj: OutageReport) -> str:
        return masked_mobile_html(obj.mobile)


class OpenFilter(admin.SimpleListFilter):
    title = _("باز / بسته")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("باز")), ("no", _("پایان‌یافته"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(state__in=OPEN_INCIDENT_STATES)
        if self.value() == "no":
            return queryset.exclude(state__in=OPEN_INCIDENT_STATES)
        return queryset


class MetricsForm(forms.Form):
    start = JalaliDateField(label=_("از تاریخ"), required=False)
    end = JalaliDateField(label=_("تا تاریخ"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "تاریخ پایان باید بعد از تاریخ شروع باشد.")
        return data


# --- The incident admin --------------------------------------------------------------------


@admin.register(Incident)
class IncidentAdmin(ScopedAdmin):
    office_lookup = "feeder__office"
    list_display = [
        "feeder_name",
        "office",
        "state",
        "opened",
        "reports",
        "crew",
        "time_to_restore",
    ]
    list_display_links = ["feeder_name"]
    list_select_related = ["feeder", "feeder__office"]
    list_filter = ["state", OpenFilter, "feeder__office", ("feeder__city", OfficeCityFilter)]
    all_offices_filters = ("feeder__office",)
    search_fields = ["=feeder__code", "feeder__name", "=reports__code"]
    search_help_text = _("کد یا نام فیدر، یا کد رهگیری یک گزارش")
    ordering = ["-opened_at", "-id"]
    inlines = [OutageReportInline, IncidentEventInline]
    fieldsets = [
        (
            _("حادثه"),
            {"fields": ["feeder_name", "office", "city", "area", "state", "close_reason"]},
        ),
        (_("رسیدگی"), {"fields": ["crew", "result", "reports"]}),
        (_("زمان‌ها"), {"fields": ["opened", "expected", "restored", "closed", "time_to_restore"]}),
    ]
    # Every field is read-only: state moves only through the services.
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]

    # -- columns --

    @admin.display(description=_("فیدر"), ordering="feeder__code")
    def feeder_name(self, obj: Incident) -> str:
        return str(obj.feeder)

    @admin.display(description=_("امور"), ordering="feeder__office__name")
    def office(self, obj: Incident) -> str:
        return obj.feeder.office.name

    @admin.display(description=_("شهر"))
    def city(self, obj: Incident) -> str:
        return obj.feeder.city.name

    @admin.display(description=_("محدوده"))
    def area(self, obj: Incident) -> str:
        return obj.feeder.area or "—"

    @admin.display(description=_("زمان شروع"), ordering="opened_at")
    def opened(self, obj: Incident) -> str:
        return jalali(obj.opened_at)

    @admin.display(description=_("زمان پیش‌بینی وصل"))
    def expected(self, obj: Incident) -> str:
        return jalali(obj.expected_at)

    @admin.display(description=_("زمان وصل برق"))
    def restored(self, obj: Incident) -> str:
        return jalali(obj.restored_at)

    @admin.display(description=_("زمان پایان"))
    def closed(self, obj: Incident) -> str:
        return jalali(obj.closed_at)

    @admin.display(description=_("تعداد گزارش"), ordering="report_count")
    def reports(self, obj: Incident) -> str:
        return to_persian_digits(obj.report_count)

    @admin.display(description=_("مدت تا وصل"))
    def time_to_restore(self, obj: Incident) -> str:
        if obj.restored_at is None:
            return "—"
        return duration_text(obj.restored_at - obj.opened_at)

    # -- permissions --

    def has_add_permission(self, request) -> bool:
        return False  # incidents open from reports only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # Nothing on the change form is editable: a crafted POST must not touch the row.
        return None

    def save_related(self, request, form, formsets, change):
        return None

    def _can_act(self, request: HttpRequest, obj: Incident) -> bool:
        if not self.has_change_permission(request, obj):
            return False
        try:
            services.incident_check_staff(incident=obj, actor=request.user)
        except NotFound:
            return False
        return True

    # -- pages --

    def get_urls(self):
        view = self.admin_site.admin_view
        custom = [
            path("metrics/", view(self.metrics_view), name="outages_incident_metrics"),
            path(
                "<int:object_id>/workflow/<slug:action>/",
                view(self.action_view),
                name="outages_incident_action",
            ),
        ]
        return custom + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object_or_404(request, object_id)
        actions = available_actions(obj) if self._can_act(request, obj) else []
        context = {
            **(extra_context or {}),
            "workflow_actions": [
                (
                    action,
                    action_label(obj, action),
                    reverse("admin:outages_incident_action", args=[obj.pk, action.name]),
                )
                for action in actions
            ],
            "seen_state": obj.state,
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
        }
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _change_url(self, obj: Incident) -> str:
        return reverse("admin:outages_incident_change", args=[obj.pk])

    def _page(self, request, obj, action: IncidentAction, form) -> TemplateResponse:
        label = action_label(obj, action)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": f"{label} — حادثه فیدر {obj.feeder.code}",
            "form": form,
            "submit_label": label,
            "danger": action.danger,
        }
        return TemplateResponse(request, "admin/outages/incident/action.html", context)

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        """GET: the action's small form (or back to the change page when it has none);
        POST: the service, then a message and back to the change page."""
        obj = self.get_object_or_404(request, object_id)
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404
        if not self._can_act(request, obj):
            raise PermissionDenied
        change_url = self._change_url(obj)
        if request.method != "POST":
            if not spec.page:
                return HttpResponseRedirect(change_url)
            if spec.form is admin_forms.ResolveForm:
                initial = admin_forms.ResolveForm.initial_now(obj.state)
            else:
                initial = {"seen_state": obj.state}
            return self._page(request, obj, spec, spec.form(initial=initial))
        form = spec.form(request.POST)
        if not form.is_valid():
            if not spec.page:
                self.message_user(request, "صفحه را دوباره باز کنید و اقدام کنید.", messages.ERROR)
                return HttpResponseRedirect(change_url)
            return self._page(request, obj, spec, form)
        try:
            message = spec.run(obj, request.user, form)
        except NotFound:
            raise PermissionDenied from None
        except PortalError as exc:
            aliases = getattr(spec.form, "SERVICE_FIELDS", {})
            if spec.page and exc.fields and admin_forms.attach_errors(form, exc.fields, aliases):
                self.message_user(request, exc.message, messages.ERROR)
                return self._page(request, obj, spec, form)
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def metrics_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = MetricsForm(request.GET or None)
        start, end = today - dt.timedelta(days=29), today
        if form.is_bound and form.is_valid():
            start = form.cleaned_data["start"] or start
            end = form.cleaned_data["end"] or end
        elif not form.is_bound:
            form = MetricsForm(
                initial={
                    "start": admin_forms.jalali_date_text(start),
                    "end": admin_forms.jalali_date_text(end),
                }
            )
        metrics = incident_metrics(incidents=self.get_queryset(request), start=start, end=end)
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "شاخص‌های رسیدگی به خاموشی",
            "form": form,
            "start": start,
            "end": end,
            "metrics": metrics,
            "office": None if sees_all(request) else user.office,
        }
        return TemplateResponse(request, "admin/outages/incident/metrics.html", context)
