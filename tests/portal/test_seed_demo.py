"""`manage.py seed_demo`: idempotent, deterministic, one transaction, extensible by steps."""

from io import StringIO

import pytest
from django.core.management import call_command

from portal.management.commands import seed_demo
from requests_app.models import FaqEntry, ServiceCard
from subscribers.models import City, DistrictOffice, OfficePhone, UtilityCompany

pytestmark = pytest.mark.django_db

MODELS = (City, UtilityCompany, DistrictOffice, OfficePhone, FaqEntry, ServiceCard)


def run(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def snapshot() -> dict[str, list]:
    """Everything the command writes, by natural keys (primary keys left out)."""
    office_cities = DistrictOffice.cities.through.objects.values_list(
        "districtoffice__company__name", "districtoffice__code", "city__name"
    )
    company_cities = UtilityCompany.cities.through.objects.values_list(
        "utilitycompany__name", "city__name"
    )
    card_fields = [
        f.name for f in ServiceCard._meta.concrete_fields if f.name not in ("id", "updated_at")
    ]
    return {
        "cities": sorted(City.objects.values_list("province", "name")),
        "companies": sorted(
            UtilityCompany.objects.values_list("name", "short_name", "kind", "code", "call_center")
        ),
        "company_cities": sorted(company_cities),
        "offices": sorted(
            DistrictOffice.objects.values_list("company__name", "code", "name", "address")
        ),
        "office_cities": sorted(office_cities),
        "phones": sorted(
            OfficePhone.objects.values_list(
                "office__company__name", "office__code", "title", "number", "order"
            )
        ),
        "faq": sorted(
            FaqEntry.objects.values_list("question", "answer", "category", "order", "is_published")
        ),
        "cards": sorted(ServiceCard.objects.values_list(*card_fields)),
    }


def wipe() -> None:
    from requests_app.models import (
        BillingAdjustment,
        Complaint,
        Payment,
        RequestType,
        ServiceRequest,
    )
    from subscribers.models import (
        AuditLog,
        KioskOffice,
        OrganisationAccess,
        Subscription,
        SubscriptionLink,
        User,
    )

    # The audit log is append-only (a trigger refuses DELETE on PostgreSQL): the kiosk
    # payments of the demo requests are audited, so the users in them and the kiosk stay.
    audited = {
        pk
        for pair in AuditLog.objects.values_list("actor_id", "on_behalf_of_id")
        for pk in pair
        if pk
    }
    from outages.models import (
        Feeder,
        Incident,
        IncidentEvent,
        Open311ApiKey,
        OutageReport,
        ScheduledOutage,
    )

    for model in (OutageReport, IncidentEvent, Incident, ScheduledOutage, Feeder, Open311ApiKey):
        model.objects.all().delete()
    from telecom.models import (
        CallRecord,
        CdrImport,
        LegalCredentialIssue,
        LineActivation,
        LineClaim,
        PhoneLine,
    )

    for model in (
        CallRecord, CdrImport, LegalCredentialIssue, LineClaim, LineActivation, PhoneLine,
    ):  # fmt: skip
        model.objects.all().delete()
    from subscribers.models import IdentityVerification

    IdentityVerification.objects.all().delete()
    from billing.models import Bill, BillImport, BillPayment, Tariff

    BillPayment.objects.all().delete()
    Bill.objects.filter(superseded_by__isnull=False).delete()
    for model in (Bill, BillImport, Tariff):
        model.objects.all().delete()
    ServiceRequest.objects.filter(parent__isnull=False).delete()
    for model in (
        Payment, BillingAdjustment, Complaint, ServiceRequest, RequestType,
        OrganisationAccess, SubscriptionLink, Subscription,
    ):  # fmt: skip
        model.objects.all().delete()
    User.objects.exclude(pk__in=audited).exclude(kiosk_operator__isnull=False).delete()
    # The outage schedule's audit rows name their district office, so those offices (and
    # their companies) stay too; the next run upserts them unchanged.
    audited_offices = set(AuditLog.objects.exclude(office=None).values_list("office_id", flat=True))
    for model in (OfficePhone, FaqEntry, ServiceCard):
        model.objects.all().delete()
    DistrictOffice.objects.exclude(pk__in=audited_offices).delete()
    UtilityCompany.objects.exclude(offices__in=audited_offices).delete()
    City.objects.exclude(pk__in=KioskOffice.objects.values("city")).delete()


def test_second_run_changes_nothing():
    first_out = run()
    first = counts()
    first_snapshot = snapshot()

    second_out = run()

    assert counts() == first
    assert snapshot() == first_snapshot
    assert "created 0, updated 0" in second_out.splitlines()[-1]
    assert "created 0" not in first_out.splitlines()[-1]


def test_same_seed_same_data_on_a_fresh_database():
    run("--seed", "7")
    with_seven = snapshot()

    run("--seed", "8")
    assert snapshot()["phones"] != with_seven["phones"]
    assert counts()["OfficePhone"] == len(with_seven["phones"])

    wipe()
    run("--seed", "7")
    assert snapshot() == with_seven


def test_companies_offices_and_phone_book():
    run()

    companies = {c.name: c for c in UtilityCompany.objects.prefetch_related("cities")}
    assert len(companies) == 4
    assert len({c.code for c in companies.values()}) == 4
    assert {c.kind for c in companies.values()} == {"electricity", "gas", "telecom"}

    tabriz = companies["شرکت توزیع نیروی برق تبریز"]
    assert tabriz.kind == "electricity"
    assert {c.name for c in tabriz.cities.all()} == {
        "تبریز",
        "باسمنج",
        "سردرود",
        "شهر جدید سهند",
        "ایلخچی",
        "خسروشاه",
        "آذرشهر",
        "ممقان",
        "گوگان",
    }
    assert {c.province for c in tabriz.cities.all()} == {"آذربایجان شرقی"}
    assert companies["شرکت توزیع نیروی برق استان قم"].kind == "electricity"
    gas = companies["شرکت گاز استان قزوین"]
    assert gas.kind == "gas"
    assert gas.call_center == "33372465-33372664"
    assert {"قزوین", "تاکستان", "البرز", "آبیک"} <= {c.name for c in gas.cities.all()}
    assert any(c.kind == "telecom" for c in companies.values())

    gas_numbers = set(
        OfficePhone.objects.filter(office__company=gas).values_list("number", flat=True)
    )
    assert {"028-33372465", "028-33372664", "028-33372409", "500025194", "3194"} <= gas_numbers

    for office in DistrictOffice.objects.prefetch_related("cities", "phones"):
        assert office.cities.all(), office
        assert office.phones.all(), office
        # Every office serves only cities of its own company.
        assert set(office.cities.all()) <= set(office.company.cities.all())
    assert OfficePhone.objects.filter(title="رئیس خدمات مشترکین").count() >= 10
    area_codes = {n.split("-")[0] for n in OfficePhone.objects.values_list("number", flat=True)}
    assert {"041", "025", "028"} <= area_codes


def test_faq_and_service_cards():
    run()

    assert FaqEntry.objects.filter(is_published=True).count() >= 20
    assert set(FaqEntry.objects.values_list("category", flat=True)) == set(FaqEntry.Category.values)
    for key in ServiceCard.Section.values:
        assert ServiceCard.objects.filter(section=key, is_published=True).exists(), key

    card = ServiceCard.objects.get(service_id="130316670112")
    assert card.slug == "gas-meter-test"
    assert card.company_kind == "gas"
    assert card.required_documents_list == ["آخرین رقم کنتور", "آخرین قبض تسویه‌شده"]
    assert card.average_time_hours == 24
    assert card.in_person_visits == 1
    assert card.kiosk_fee_rials == 109_000
    assert "ساعات اداری" in card.service_hours
    assert "3194" in card.complaint_channels
    assert "33372409" in card.complaint_channels

    slugs = set(ServiceCard.objects.values_list("slug", flat=True))
    assert {
        "consumption-payment-history",
        "outage-report",
        "call-detail-records",
        "name-change",
        "settlement",
        "self-meter-reading",
        "new-connection-electricity",
    } <= slugs
    outage = ServiceCard.objects.get(slug="outage-report")
    assert "121" in outage.access_channels
    for service_id in ServiceCard.objects.values_list("service_id", flat=True):
        assert service_id.isdigit() and len(service_id) == 12


def test_later_steps_get_the_context_and_print_credentials(monkeypatch):
    seen = {}

    def demo_accounts(ctx):
        seen["draw"] = ctx.rng.random()
        seen["companies"] = sorted(ctx.companies)
        ctx.add_credentials("کارمند امور", "staff-demo", "demo-pass-123")

    steps = [*seed_demo.STEPS, seed_demo.Step("accounts", demo_accounts)]
    monkeypatch.setattr(seed_demo, "STEPS", steps)

    out = run("--seed", "3")
    first_draw = seen["draw"]
    run("--seed", "3")

    assert seen["draw"] == first_draw
    assert seen["companies"] == [
        "east-azarbaijan-telecom",
        "qazvin-gas",
        "qom-electricity",
        "tabriz-electricity",
    ]
    assert "staff-demo / demo-pass-123" in out


def test_a_failing_step_rolls_everything_back(monkeypatch):
    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(seed_demo, "STEPS", [*seed_demo.STEPS, seed_demo.Step("broken", broken)])

    with pytest.raises(RuntimeError):
        run()
    assert counts() == dict.fromkeys(counts(), 0)


def test_demo_admin_exists_only_through_seed_demo_and_is_printed():
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    assert not users.filter(username="admin").exists()  # migrations create no account
    output = run()
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("Demo-Admin-1403")
    assert "admin / Demo-Admin-1403" in output
    run()
    assert users.filter(username="admin").count() == 1


def test_once_skips_when_demo_data_is_loaded():
    run()
    FaqEntry.objects.all().delete()
    output = run("--once")
    assert "nothing to do" in output
    assert FaqEntry.objects.count() == 0
    run()
    assert FaqEntry.objects.count() > 0


def test_refuses_where_demo_data_is_not_allowed(settings):
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        run()
    assert not UtilityCompany.objects.exists()


def test_accounts_step_covers_every_role_subscriber_kind_and_an_organisation():
    from django.contrib.auth.models import Group

    from subscribers import roles
    from subscribers.models import KioskOperator, OrganisationAccess, SubscriptionLink, User

    run()
    for role in roles.ALL_ROLES:
        assert Group.objects.get(name=role).user_set.exists(), role
    offices = DistrictOffice.objects.count()
    clerks = User.objects.filter(groups__name=roles.OFFICE_CLERK).values("office").distinct()
    assert clerks.count() == offices
    assert User.objects.filter(kind=User.Kind.NATURAL, is_active=True).count() >= 3
    access = OrganisationAccess.objects.get(status=OrganisationAccess.Status.APPROVED)
    assert SubscriptionLink.objects.filter(user=access.organisation).count() > 5
    assert SubscriptionLink.objects.filter(role=SubscriptionLink.Role.TENANT).exists()
    assert KioskOperator.objects.filter(is_active=True).exists()
    from portal import identifiers

    for sub in access.organisation.subscription_links.select_related("subscription__company"):
        company = sub.subscription.company
        identifiers.clean_bill_id(
            sub.subscription.bill_id, company_code=company.code, service_type=company.service_digit
        )


def test_demo_requests_cover_every_stage_across_offices_and_types():
    from requests_app.models import Payment, RequestType, ServiceRequest, Status

    run()
    requests = ServiceRequest.objects.all()
    assert set(requests.values_list("status", flat=True)) == set(Status.values)
    assert requests.values("office").distinct().count() >= 4
    assert requests.values("request_type").distinct().count() >= 9
    assert RequestType.objects.filter(company_kind="gas").count() >= 5
    gas_test = RequestType.objects.get(service_id="130316670112")
    assert (gas_test.sla_hours, gas_test.kiosk_charge) == (24, 109_000)
    # The kiosk-filed gas meter test carries the kiosk's own charge, paid in cash there.
    kiosk_paid = Payment.objects.filter(purpose="kiosk_charge", state="paid").get()
    assert kiosk_paid.amount == 109_000 and kiosk_paid.method == "kiosk_cash"
    # Every move went through the services: each request has its events.
    assert not requests.exclude(status=Status.DRAFT).filter(events__isnull=True).exists()
