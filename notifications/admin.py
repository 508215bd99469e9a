"""The SMS outbox in admin: read-only, with one action that goes through a service."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from notifications.models import OutboxMessage
from notifications.services import sms_retry_failed
from portal.digits import normalize_digits, to_persian_digits
from portal.identifiers import clean_mobile, is_valid_mobile


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "recipient",
        "kind",
        "status",
        "attempts",
        "short_text",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["=recipient"]
    search_help_text = _("شماره همراه کامل گیرنده")
    ordering = ["-id"]
    list_per_page = 50
    # The outbox grows with every bill notice: no COUNT(*) over the whole table.
    show_full_result_count = False
    actions = ["retry_failed"]
    fields = [
        "recipient",
        "kind",
        "status",
        "text",
        "template",
        "tokens",
        "attempts",
        "failure_reason",
        "provider_message_id",
        "idempotency_key",
        "batch_id",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("متن"))
    def short_text(self, obj: OutboxMessage) -> str:
        return Truncator(obj.text).chars(80)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Staff type numbers with Persian digits or +98; the column holds 09XXXXXXXXX.
        term = normalize_digits(search_term.strip())
        if is_valid_mobile(term):
            term = clean_mobile(term)
        return super().get_search_results(request, queryset, term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OutboxMessage | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        # Rows are never edited in admin, but re-sending is a write: it needs the change perm.
        return request.user.has_perm("notifications.change_outboxmessage")

    @admin.action(description=_("ارسال دوباره پیامک‌های ناموفق"), permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        ids = list(queryset.filter(status=OutboxMessage.Status.FAILED).values_list("pk", flat=True))
        count = sms_retry_failed(message_ids=ids)
        if count:
            self.message_user(
                request,
                _("%(count)s پیامک دوباره در صف ارسال قرار گرفت.")
                % {"count": to_persian_digits(count)},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("هیچ پیامک ناموفقی انتخاب نشده بود."), messages.WARNING)
