"""Read paths of the public help pages and the service catalog.

Every list is one query however many rows it holds; grouping happens in Python over the
single ordered result so the pages' query counts stay flat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.digits import normalize_digits
from requests_app.models import FaqEntry, ServiceCard
from subscribers.models import UtilityCompany
from subscribers.selectors import reference as subscriber_selectors


@dataclass
class Group:
    """Rows under one heading: a FAQ category or a catalog section."""

    key: str
    title: str
    items: list = field(default_factory=list)


def faq_published() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(is_published=True).order_by("category", "order", "id")


def faq_published_grouped() -> list[Group]:
    """Published FAQ entries by category, categories in their declared order, empty ones dropped."""
    groups = {key: Group(key, label) for key, label in FaqEntry.Category.choices}
    for entry in faq_published():
        groups[entry.category].items.append(entry)
    return [group for group in groups.values() if group.items]


def service_cards_published(*, section: str | None = None) -> QuerySet[ServiceCard]:
    cards = ServiceCard.objects.filter(is_published=True)
    if section is not None:
        cards = cards.filter(section=section)
    return cards.order_by("order", "id")


def service_cards_by_section() -> list[Group]:
    """Every published card grouped under its menu section, in menu order, empty sections kept."""
    groups = {key: Group(key, label) for key, label in ServiceCard.Section.choices}
    for card in service_cards_published():
        groups[card.section].items.append(card)
    return list(groups.values())


def service_card_get_published(*, slug: str) -> ServiceCard:
    """One published card by slug; 404 when missing or unpublished."""
    return get_object_or_404(service_cards_published(), slug=slug)


def service_card_get_published_by_service_id(*, service_id: str) -> ServiceCard:
    """One published card by its public service ID (Persian digits accepted); 404 otherwise."""
    return get_object_or_404(service_cards_published(), service_id=normalize_digits(service_id))


def service_card_companies(*, card: ServiceCard) -> QuerySet[UtilityCompany]:
    """The companies on this portal that offer the card's service."""
    companies = subscriber_selectors.company_list()
    if card.company_kind != ServiceCard.CompanyKind.ALL:
        companies = companies.filter(kind=card.company_kind)
    return companies
