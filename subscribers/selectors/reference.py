"""Read paths for reference data, with their joins applied."""

from django.db.models import Prefetch, QuerySet

from subscribers.models import City, DistrictOffice, OfficePhone, UtilityCompany


def company_list() -> QuerySet[UtilityCompany]:
    return UtilityCompany.objects.order_by("kind", "name")


def company_service_areas() -> QuerySet[UtilityCompany]:
    """Companies with the cities each serves (the public service-area page)."""
    return UtilityCompany.objects.order_by("kind", "name").prefetch_related(
        Prefetch("cities", queryset=City.objects.order_by("name"))
    )


def office_phone_book() -> QuerySet[DistrictOffice]:
    """Every office with its cities and phone lines, grouped by company (two extra queries)."""
    return (
        DistrictOffice.objects.select_related("company")
        .order_by("company__kind", "company__name", "name")
        .prefetch_related(
            Prefetch("cities", queryset=City.objects.order_by("name")),
            Prefetch("phones", queryset=OfficePhone.objects.order_by("order", "id")),
        )
    )
