"""Demo data of the outages app for ``seed_demo``: a feeder for every area of the demo
electricity offices (the demo subscriptions point at them through ``feeder_code``), a
planned-outage schedule for the coming week, an open incident with two reports and a resolved
one with its result, and an Open311 key with a fixed, printed value.

Windows, reports and incident moves go through the services (``scheduled_outage_save``,
``report_file``, ``incident_move``) so their events and SMS rows are what real use produces.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from outages.models import Feeder, Incident, IncidentState, Open311ApiKey, ReportChannel
from outages.models import ScheduledOutage as Window
from portal.demo import SeedContext, upsert
from subscribers.models import City, Subscription, User

# Demo-only key, printed by seed_demo and listed in README; never in production.
DEMO_OPEN311_KEY = "demo-open311-tabriz-1403-key"
DEMO_OPEN311_NAME = "برنامه نمایشی Open311 (شهر هوشمند)"

# office key → [(feeder code, name, area, city)]. Codes are demo values; the demo
# subscriptions (subscribers/demo.py) use TB01-F1, TB01-F2, TB02-F1, TB02-F2 and QM01-F1.
FEEDERS: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "tabriz-electricity/01": (
        ("TB01-F1", "فیدر ولیعصر", "ولیعصر، خیابان فلسطین، خیابان توانیر و شهرک بهار", "تبریز"),
        ("TB01-F2", "فیدر آبرسان", "آبرسان، خیابان نصف‌راه و کوی مخابرات", "تبریز"),
    ),
    "tabriz-electricity/02": (
        ("TB02-F1", "فیدر ۲۹ بهمن", "بلوار ۲۹ بهمن، کوی دانشگاه و خیابان ارتش", "تبریز"),
        ("TB02-F2", "فیدر باغمیشه", "شهرک باغمیشه، خیابان شهید همت و کوی نور", "تبریز"),
    ),
    "tabriz-electricity/03": (
        ("TB03-F1", "فیدر سردرود مرکزی", "سردرود، خیابان امام خمینی و بازار", "سردرود"),
        ("TB03-F2", "فیدر ایلخچی", "ایلخچی، میدان اصلی و خیابان ولیعصر", "ایلخچی"),
        ("TB03-F3", "فیدر سهند", "شهر جدید سهند، فازهای ۱ تا ۳", "شهر جدید سهند"),
    ),
    "tabriz-electricity/04": (
        ("TB04-F1", "فیدر باسمنج", "باسمنج، میدان اصلی و جاده تبریز", "باسمنج"),
        ("TB04-F2", "فیدر خسروشاه", "خسروشاه، خیابان امام و شهرک صنعتی", "خسروشاه"),
    ),
    "tabriz-electricity/05": (
        ("TB05-F1", "فیدر آذرشهر", "آذرشهر، خیابان شهید بهشتی و بازار", "آذرشهر"),
        ("TB05-F2", "فیدر ممقان", "ممقان، خیابان اصلی و کوی فرهنگیان", "ممقان"),
        ("TB05-F3", "فیدر گوگان", "گوگان، میدان شهرداری و جاده آذرشهر", "گوگان"),
    ),
    "qom-electricity/01": (
        ("QM01-F1", "فیدر صفاییه", "صفاییه، خیابان معلم و بلوار امین جنوبی", "قم"),
    ),
    "qom-electricity/02": (
        ("QM02-F1", "فیدر بلوار امین", "بلوار امین، پردیسان و شهرک قدس", "قم"),
        ("QM02-F2", "فیدر قنوات", "قنوات، خیابان اصلی و کوی بسیج", "قنوات"),
    ),
    "qom-electricity/03": (
        ("QM03-F1", "فیدر کهک", "کهک، خیابان اصلی و روستاهای اطراف", "کهک"),
        ("QM03-F2", "فیدر جعفریه", "جعفریه، میدان امام و شهرک صنعتی", "جعفریه"),
        ("QM03-F3", "فیدر سلفچگان", "سلفچگان، خیابان امام و جاده اراک", "سلفچگان"),
    ),
}

REASONS = (
    "تعمیرات و سرویس دوره‌ای پست",
    "تعویض تیر و سیم‌کشی شبکه فشار ضعیف",
    "اصلاح و بهینه‌سازی شبکه",
    "قطع درختان مجاور شبکه",
    "جابه‌جایی شبکه برای طرح عمرانی شهرداری",
)
START_HOURS = (8, 9, 10, 13, 14)
SCHEDULE_DAYS = 7


def _clerk(office_key: str) -> User:
    return User.objects.get(username=f"clerk-{office_key.replace('/', '-')}")


def seed_feeders(ctx: SeedContext) -> dict[str, Feeder]:
    feeders = {}
    for office_key, specs in FEEDERS.items():
        office = ctx.offices[office_key]
        for code, name, area, city_name in specs:
            city = City.objects.get(name=city_name, companies=office.company)
            feeders[code] = upsert(
                ctx,
                Feeder,
                {"company": office.company, "code": code},
                {"office": office, "city": city, "name": name, "area": area},
            )
    return feeders


def seed_outage_schedule(ctx: SeedContext) -> None:
    """Feeders, then a few planned windows per city over the coming week (from tomorrow, so
    none covers the demo reports). A feeder gets at most one window a day; a day that already
    has one is left alone, so a second run adds nothing."""
    from outages.services.schedule import scheduled_outage_save

    feeders = seed_feeders(ctx)
    today = timezone.localdate()
    existing = {
        (feeder_id, timezone.localdate(starts_at))
        for feeder_id, starts_at in Window.objects.filter(
            feeder__in=feeders.values(), starts_at__date__gte=today - dt.timedelta(days=1)
        ).values_list("feeder_id", "starts_at")
    }
    clerks: dict[str, User] = {}
    for office_key, specs in FEEDERS.items():
        for code, *_rest in specs:
            feeder = feeders[code]
            # Draw every value first, whatever exists, so the sequence never depends on the
            # database (one --seed, one schedule).
            days = sorted(ctx.rng.sample(range(1, SCHEDULE_DAYS + 1), 2))
            plans = [
                (
                    day,
                    ctx.rng.choice(START_HOURS),
                    ctx.rng.choice((2, 3, 4)),
                    ctx.rng.choice(REASONS),
                )
                for day in days
            ]
            for day_offset, hour, hours, reason in plans:
                day = today + dt.timedelta(days=day_offset)
                if (feeder.pk, day) in existing:
                    ctx._touch(Window, "unchanged")
                    continue
                if office_key not in clerks:
                    clerks[office_key] = _clerk(office_key)
                starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))
                scheduled_outage_save(
                    outage=None,
                    feeder=feeder,
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(hours=hours),
                    reason=reason,
                    actor=clerks[office_key],
                )
                existing.add((feeder.pk, day))
                ctx._touch(Window, "created")


def seed_outage_incidents(ctx: SeedContext) -> None:
    """An open incident in Tabriz with two reports (the subscriber on the web, a neighbour
    through 121), being investigated; a resolved one in Qom with its result sent. Runs once:
    when the demo subscriptions already have reports, it leaves them alone. Then the Open311
    key, printed in the summary."""
    from outages.services.incidents import incident_move
    from outages.services.reports import report_file

    seed_open311_key(ctx)
    maryam_sub = Subscription.objects.filter(subscription_number="1100201").first()
    ali_sub = Subscription.objects.filter(subscription_number="3300401").first()
    if maryam_sub is None or ali_sub is None:
        return
    if maryam_sub.outage_reports.exists() or ali_sub.outage_reports.exists():
        ctx._touch(Incident, "unchanged")
        return
    maryam = User.objects.get(mobile=maryam_sub.mobile, kind=User.Kind.NATURAL)
    ali = User.objects.get(mobile=ali_sub.mobile, kind=User.Kind.NATURAL)
    operator = User.objects.get(username="callcenter-121")
    now = timezone.now()

    # Tabriz: reported 40 minutes ago on the web, then a neighbour called 121.
    first = report_file(
        subscription=maryam_sub,
        mobile=maryam.mobile,
        channel=ReportChannel.WEB,
        reporter=maryam,
        description="برق کل کوچه قطع است.",
        now=now - dt.timedelta(minutes=40),
    )
    report_file(
        subscription=maryam_sub,
        mobile="09141230000",
        channel=ReportChannel.CALL_CENTER,
        taken_by=operator,
        description="همسایه: صدای انفجار از پست سر کوچه شنیده شد.",
        now=now - dt.timedelta(minutes=25),
    )
    incident_move(
        incident=first.report.incident,
        to=IncidentState.INVESTIGATING,
        actor=_clerk("tabriz-electricity/01"),
        note="گزارش به اکیپ عملیات ابلاغ شد.",
    )

    # Qom: reported yesterday, fixed two hours and a quarter later, result sent by SMS.
    opened = now - dt.timedelta(days=1, hours=3)
    qom = report_file(
        subscription=ali_sub,
        mobile=ali.mobile,
        channel=ReportChannel.APP,
        reporter=ali,
        now=opened,
    ).report.incident
    clerk = _clerk("qom-electricity/01")
    incident_move(incident=qom, to=IncidentState.INVESTIGATING, actor=clerk)
    incident_move(incident=qom, to=IncidentState.CREW_DISPATCHED, actor=clerk, crew="اکیپ ۲ صفاییه")
    incident_move(
        incident=qom,
        to=IncidentState.RESOLVED,
        actor=clerk,
        restored_at=opened + dt.timedelta(hours=2, minutes=15),
        result="فیوز کات‌اوت پست صفاییه تعویض و برق وصل شد.",
    )
    ctx._touch(Incident, "created")


def seed_open311_key(ctx: SeedContext) -> None:
    from outages.services.keys import api_key_create

    if Open311ApiKey.objects.filter(name=DEMO_OPEN311_NAME).exists():
        ctx._touch(Open311ApiKey, "unchanged")
    else:
        api_key_create(name=DEMO_OPEN311_NAME, raw_key=DEMO_OPEN311_KEY)
        ctx._touch(Open311ApiKey, "created")
    ctx.add_credentials("کلید Open311 (api_key)", DEMO_OPEN311_NAME, DEMO_OPEN311_KEY)
