"""Demo data: ``python manage.py seed_demo [--seed N]``.

The command runs the steps in ``STEPS`` in order, inside one transaction. Each step is an
idempotent function of a ``SeedContext``: it upserts rows on their natural keys through
``upsert``/``set_m2m`` (so running the command twice changes nothing and creates no
duplicates) and draws any random value from ``ctx.rng`` only (so one ``--seed`` always gives
the same data). Later issues add their demo data by writing a step function and putting it
in ``STEPS`` after the steps it builds on; ``ctx.companies`` and ``ctx.offices`` hand the
reference rows to them. Demo logins are registered with ``ctx.add_credentials`` and printed
in the summary.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing.demo import seed_bills
from outages.demo import seed_outage_incidents, seed_outage_schedule
from portal.demo import SeedContext, Step, set_m2m, upsert
from requests_app.demo import seed_request_types, seed_requests
from requests_app.models import FaqEntry, ServiceCard
from subscribers.demo import seed_accounts
from subscribers.models import City, DistrictOffice, OfficePhone, UtilityCompany
from telecom.demo import seed_call_records, seed_line_services, seed_phone_lines

DEFAULT_SEED = 1403

# --- Reference data: companies, cities, district offices and their phone book -------------

Kind = UtilityCompany.Kind

# Company codes (the 3 digits before the service-type digit of a bill ID) are demo values.
COMPANIES: tuple[dict[str, Any], ...] = (
    {
        "key": "tabriz-electricity",
        "name": "شرکت توزیع نیروی برق تبریز",
        "short_name": "برق تبریز",
        "kind": Kind.ELECTRICITY,
        "code": "115",
        "call_center": "121",
        "province": "آذربایجان شرقی",
        "area_code": "041",
        # Seed 000: the nine cities of the Tabriz distribution company.
        "cities": (
            "تبریز",
            "باسمنج",
            "سردرود",
            "شهر جدید سهند",
            "ایلخچی",
            "خسروشاه",
            "آذرشهر",
            "ممقان",
            "گوگان",
        ),
        "phone_titles": ("رئیس خدمات مشترکین", "امور مشترکین", "واحد انشعابات"),
        "offices": (
            ("01", "امور برق یک تبریز", "تبریز، خیابان امام، نبش کوچه برق", ("تبریز",)),
            ("02", "امور برق دو تبریز", "تبریز، بلوار 29 بهمن", ("تبریز",)),
            (
                "03",
                "امور برق سردرود و ایلخچی",
                "سردرود، خیابان امام خمینی",
                ("سردرود", "ایلخچی", "شهر جدید سهند"),
            ),
            ("04", "امور برق باسمنج و خسروشاه", "باسمنج، میدان اصلی", ("باسمنج", "خسروشاه")),
            ("05", "امور برق آذرشهر", "آذرشهر، خیابان شهید بهشتی", ("آذرشهر", "ممقان", "گوگان")),
        ),
    },
    {
        "key": "qom-electricity",
        "name": "شرکت توزیع نیروی برق استان قم",
        "short_name": "برق قم",
        "kind": Kind.ELECTRICITY,
        "code": "127",
        "call_center": "121",
        "province": "قم",
        "area_code": "025",
        "cities": ("قم", "قنوات", "کهک", "جعفریه", "سلفچگان"),
        "phone_titles": ("رئیس خدمات مشترکین", "امور مشترکین", "واحد انشعابات"),
        "offices": (
            ("01", "امور برق مرکز قم", "قم، خیابان صفاییه", ("قم",)),
            ("02", "امور برق شمال قم", "قم، بلوار امین", ("قم", "قنوات")),
            ("03", "امور برق جنوب استان", "کهک، خیابان اصلی", ("کهک", "جعفریه", "سلفچگان")),
        ),
    },
    {
        "key": "qazvin-gas",
        "name": "شرکت گاز استان قزوین",
        "short_name": "گاز قزوین",
        "kind": Kind.GAS,
        "code": "172",
        # Seed 004: call center / IVR.
        "call_center": "33372465-33372664",
        "province": "قزوین",
        "area_code": "028",
        "cities": ("قزوین", "تاکستان", "البرز", "آبیک", "محمدیه", "بوئین‌زهرا"),
        "phone_titles": ("رئیس خدمات مشترکین", "امور مشترکین", "واحد فروش و انشعابات"),
        "offices": (
            ("01", "اداره گاز ناحیه یک قزوین", "قزوین، خیابان نادری", ("قزوین",)),
            ("02", "اداره گاز تاکستان", "تاکستان، خیابان امام", ("تاکستان",)),
            ("03", "اداره گاز البرز و محمدیه", "محمدیه، بلوار ولایت", ("البرز", "محمدیه")),
            ("04", "اداره گاز آبیک", "آبیک، خیابان طالقانی", ("آبیک",)),
            ("05", "اداره گاز بوئین‌زهرا", "بوئین‌زهرا، میدان معلم", ("بوئین‌زهرا",)),
        ),
    },
    {
        "key": "east-azarbaijan-telecom",
        "name": "شرکت مخابرات استان آذربایجان شرقی",
        "short_name": "مخابرات آذربایجان شرقی",
        "kind": Kind.TELECOM,
        "code": "141",
        "call_center": "2020",
        "province": "آذربایجان شرقی",
        "area_code": "041",
        "cities": ("تبریز", "باسمنج", "سردرود", "آذرشهر", "مراغه", "مرند"),
        "phone_titles": ("رئیس مرکز", "امور مشترکین و احراز هویت", "ریزمکالمات"),
        "offices": (
            ("01", "مرکز تلفن ولیعصر تبریز", "تبریز، خیابان ولیعصر", ("تبریز",)),
            ("02", "مرکز تلفن باغمیشه", "تبریز، شهرک باغمیشه", ("تبریز", "باسمنج")),
            ("03", "مرکز تلفن آذرشهر", "آذرشهر، خیابان امام", ("آذرشهر", "سردرود")),
            ("04", "مخابرات مراغه", "مراغه، خیابان خواجه نصیر", ("مراغه",)),
            ("05", "مخابرات مرند", "مرند، خیابان امام", ("مرند",)),
        ),
    },
)

# Seed 004: the Qazvin gas company's central numbers, listed under its headquarters.
QAZVIN_GAS_HEADQUARTERS = (
    "00",
    "ستاد شرکت گاز استان قزوین",
    "قزوین، بلوار نوروزیان",
    ("قزوین",),
    (
        ("مرکز تماس و تلفن گویا", "028-33372465"),
        ("مرکز تماس و تلفن گویا (خط دوم)", "028-33372664"),
        ("رسیدگی به شکایات", "028-33372409"),
        ("سامانه پیامکی", "500025194"),
        ("سامانه رسیدگی و پاسخگویی به شکایات", "3194"),
    ),
)


def _demo_phone(rng: random.Random, area_code: str) -> str:
    # Landlines in these provinces have 8 digits after the area code, most starting with 3.
    return f"{area_code}-3{rng.randint(0, 9_999_999):07d}"


def _seed_office(
    ctx: SeedContext,
    company: UtilityCompany,
    cities: dict[str, City],
    office_spec: tuple,
    phones: Iterable[tuple[str, str]],
) -> DistrictOffice:
    code, name, address, city_names = office_spec[:4]
    office = upsert(
        ctx, DistrictOffice, {"company": company, "code": code}, {"name": name, "address": address}
    )
    set_m2m(office.cities, [cities[c] for c in city_names])
    for order, (title, number) in enumerate(phones, start=1):
        upsert(
            ctx,
            OfficePhone,
            {"office": office, "title": title},
            {"number": number, "order": order * 10},
        )
    return office


def seed_reference_data(ctx: SeedContext) -> None:
    """Companies, their cities, district offices (امور) and the office phone book."""
    for spec in COMPANIES:
        cities = {
            name: upsert(ctx, City, {"province": spec["province"], "name": name}, {})
            for name in spec["cities"]
        }
        company = upsert(
            ctx,
            UtilityCompany,
            {"name": spec["name"]},
            {
                "short_name": spec["short_name"],
                "kind": spec["kind"],
                "code": spec["code"],
                "call_center": spec["call_center"],
            },
        )
        set_m2m(company.cities, cities.values())
        ctx.companies[spec["key"]] = company

        offices = list(spec["offices"])
        if spec["key"] == "qazvin-gas":
            offices.insert(0, QAZVIN_GAS_HEADQUARTERS)
        for office_spec in offices:
            if len(office_spec) > 4:
                phones = office_spec[4]
            else:
                phones = [
                    (title, _demo_phone(ctx.rng, spec["area_code"]))
                    for title in spec["phone_titles"]
                ]
            office = _seed_office(ctx, company, cities, office_spec, phones)
            ctx.offices[f"{spec['key']}/{office.code}"] = office


# --- FAQ -----------------------------------------------------------------------------------

Cat = FaqEntry.Category

# Every question of seed 000 (the Tabriz portal's FAQ), answered for how this portal works,
# followed by this portal's own questions on accounts, outages and fixed-line services.
FAQ: tuple[tuple[str, str, str], ...] = (
    (
        Cat.GENERAL,
        "با کدام مرورگر بهتر است از سامانه استفاده کنم؟",
        "سامانه با نسخه‌های به‌روز همه مرورگرهای رایج، از جمله فایرفاکس، کروم، اج و سافاری، "
        "روی رایانه و تلفن همراه کار می‌کند و به نصب برنامه یا افزونه‌ای نیاز ندارد. اگر صفحه‌ای "
        "درست نمایش داده نشد، مرورگر خود را به‌روز کنید یا حافظه موقت آن را پاک کنید و دوباره "
        "امتحان کنید.",
    ),
    (
        Cat.GENERAL,
        "خدمات این سامانه در کدام شهرها ارائه می‌شود؟",
        "این سامانه به مشترکین چند شرکت برق، گاز و مخابرات خدمت می‌دهد و محدوده هر شرکت جداست. "
        "برای نمونه، شرکت توزیع نیروی برق تبریز در شهرهای تبریز، باسمنج، سردرود، شهر جدید سهند، "
        "ایلخچی، خسروشاه، آذرشهر، ممقان و گوگان خدمت می‌دهد. فهرست کامل شهرهای هر شرکت در صفحه "
        "«محدوده خدمات» در بخش راهنما آمده است.",
    ),
    (
        Cat.GENERAL,
        "اگر مراحل درخواستم طولانی شده یا برای ثبت درخواست راهنمایی می‌خواهم، با چه کسی تماس بگیرم؟",
        "از منوی «راهنما» صفحه «شماره تلفن واحدها» را باز کنید. شماره رئیس خدمات مشترکین هر "
        "امور، همراه با شهرهایی که آن امور به آن‌ها خدمت می‌دهد، در این صفحه آمده است. با امور "
        "محل اشتراک خود تماس بگیرید و شماره درخواست را در دسترس داشته باشید.",
    ),
    (
        Cat.REQUESTS,
        "آیا می‌توانم مراحل درخواستم را پیگیری کنم؟",
        "بله. در منوی «پیگیری سوابق»، برای درخواست انشعاب شماره درخواست و برای درخواست‌های "
        "خدمات پس از فروش شماره درخواست به‌همراه شماره اشتراک را وارد کنید تا مرحله فعلی "
        "درخواست و سوابق مراحل قبلی آن نمایش داده شود. شماره درخواست پس از ثبت روی صفحه نمایش "
        "داده و برای شما پیامک می‌شود.",
    ),
    (
        Cat.REQUESTS,
        "برای مجتمع یا ساختمان چندطبقه چگونه درخواست انشعاب ثبت کنم؟",
        "مانند درخواست یک واحد عمل کنید و هنگام ثبت، تعداد انشعاب‌ها را برابر تعداد واحدهای "
        "ساختمان وارد کنید. برای همه واحدهای یک مجتمع یک درخواست کافی است و نیازی به ثبت چند "
        "درخواست جداگانه نیست.",
    ),
    (
        Cat.REQUESTS,
        "آیا می‌توانم کپی مدارک را بارگذاری کنم؟ فایل مدارک چه شرایطی دارد؟",
        "تصویر اسکن‌شده رنگی و خوانا از اصل مدرک را بارگذاری کنید؛ تصویر سیاه‌وسفید یا ناخوانا "
        "ممکن است در بررسی رد شود. حجم هر فایل باید کمتر از 2 مگابایت باشد و فایل PDF هم، "
        "افزون بر تصویر JPG و PNG، پذیرفته می‌شود.",
    ),
    (
        Cat.REQUESTS,
        "برای هر درخواست چه مدارکی لازم است؟",
        "مدارک هر خدمت متفاوت است. فهرست مدارک هر خدمت در «شناسنامه خدمات» آمده است و هنگام "
        "ثبت درخواست نیز، در مرحله بارگذاری، عنوان هر مدرک جداگانه نمایش داده می‌شود.",
    ),
    (
        Cat.REQUESTS,
        "درخواست تغییر نام من در مرحله بازدید مانده است؛ چه کنم؟",
        "در مرحله بازدید، همکار شرکت برای آزمایش کنتور به محل انشعاب می‌رود. اگر در محل بسته "
        "باشد یا دسترسی به کنتور ممکن نباشد، بازدید انجام نمی‌شود و درخواست در همین مرحله "
        "می‌ماند. در این حالت با امور مربوط تماس بگیرید و برای زمان بازدید هماهنگ کنید.",
    ),
    (
        Cat.REQUESTS,
        "درخواست تغییر نام من مدتی است در مرحله تأیید مانده است؛ چه کنم؟",
        "پس از بازدید کنتور، مدارک درخواست بررسی و درخواست به‌طور نهایی تأیید می‌شود. اگر "
        "درخواست شما بیش از زمان اعلام‌شده در شناسنامه خدمت در مرحله تأیید مانده است، با امور "
        "مربوط تماس بگیرید و شماره درخواست را اعلام کنید.",
    ),
    (
        Cat.REQUESTS,
        "کنتور من درست کار نمی‌کند؛ هزینه تست کنتور با کیست؟",
        "از منوی «خدمات پس از فروش» درخواست تست کنتور ثبت کنید. اگر کنتور سالم باشد، هزینه "
        "آزمایش طبق تعرفه مصوب از شما دریافت می‌شود؛ اگر خرابی کنتور تأیید شود و تقصیری متوجه "
        "مشترک نباشد، کنتور تعویض و صورتحساب طبق مقررات اصلاح می‌شود.",
    ),
    (
        Cat.ACCOUNT,
        "پیامک کد تأیید به تلفن همراه من نمی‌رسد.",
        "احتمالاً دریافت پیامک‌های تبلیغاتی روی سیم‌کارت شما بسته است و پیامک‌های سامانه هم "
        "با آن‌ها مسدود می‌شوند. دریافت این پیامک‌ها را از طریق اپراتور خود فعال کنید یا شماره "
        "همراه دیگری را در سامانه ثبت کنید. اگر کد نرسید، چند دقیقه صبر کنید و دوباره درخواست "
        "کد بدهید.",
    ),
    (
        Cat.ACCOUNT,
        "چگونه در سامانه حساب کاربری بسازم؟",
        "اشخاص حقیقی با کد ملی و شماره تلفن همراه ثبت‌نام می‌کنند و شماره همراه با کد تأیید "
        "پیامکی تأیید می‌شود. اشخاص حقوقی با شناسه ملی شرکت و معرفی نماینده ثبت‌نام می‌کنند. "
        "پس از ورود، اشتراک‌های خود را با شناسه قبض به حساب اضافه کنید.",
    ),
    (
        Cat.ACCOUNT,
        "آیا می‌توانم خدمات سامانه را در دفاتر پیشخوان دولت دریافت کنم؟",
        "بله. خدمات این سامانه در دفاتر پیشخوان دولت هم ارائه می‌شود. کارمزد دفتر، جدا از "
        "تعرفه خود خدمت، در شناسنامه هر خدمت آمده است.",
    ),
    (
        Cat.BILLING,
        "می‌خواهم صورتحساب همه اشتراک‌های سازمان را به‌صورت تجمیعی ببینم.",
        "سازمان‌هایی که بیش از 5 اشتراک دارند، فهرست اشتراک‌ها را همراه با معرفی‌نامه نماینده "
        "سازمان به معاونت فروش و خدمات مشترکین شرکت مربوط ارائه می‌کنند. پس از تأیید، برای "
        "نماینده حساب کاربری سازمانی ساخته می‌شود و او صورتحساب همه اشتراک‌های سازمان را به‌صورت "
        "تجمیعی و یک‌جا می‌بیند.",
    ),
    (
        Cat.BILLING,
        "چرا شناسه قبض و شناسه پرداخت در صورتحساب دوره‌های قبل درج نشده است؟",
        "شناسه پرداخت به مبلغ و دوره‌ای بسته است که باید پرداخت شود؛ به همین دلیل شناسه قبض و "
        "شناسه پرداخت فقط روی قبض آخرین دوره و برای پرداخت آخرین مبلغ قابل پرداخت درج می‌شوند. "
        "صورتحساب دوره‌های قبل فقط برای آگاهی از اقلام قبض، مانند میزان مصرف و عوارض، نمایش "
        "داده می‌شود.",
    ),
    (
        Cat.BILLING,
        "برای تسویه حساب میان مستأجر و مالک از کدام منو اقدام کنم؟",
        "از منوی «خدمات پس از فروش» خدمت «تسویه حساب» را انتخاب کنید. صورتحساب خارج از دوره تا "
        "روز درخواست صادر می‌شود تا مستأجر یا مالک بدهی خود را تا همان روز پرداخت کند.",
    ),
    (
        Cat.BILLING,
        "آیا افزون بر پیامک صورتحساب، می‌توانم جزئیات کامل قبضم را ببینم؟",
        "بله. در منوی «صورتحساب‌ها» شماره اشتراک یا شناسه قبض را وارد کنید و از بخش «چاپ قبض» "
        "قبض کامل را با همه اقلام آن ببینید و چاپ کنید.",
    ),
    (
        Cat.BILLING,
        "آیا می‌توانم بدون مراجعه به اداره، کارکرد کنتورم را ثبت و قبض دریافت کنم؟",
        "بله. در منوی «خدمات پس از فروش» خدمت «ثبت کارکرد» را انتخاب و رقم کنتور را وارد کنید. "
        "با این رقم قبض علی‌الحساب محاسبه می‌شود و پس از تأیید امور مربوط، قبض برای شما پیامک "
        "می‌شود.",
    ),
    (
        Cat.OUTAGES,
        "قطع برق را چگونه اعلام کنم؟",
        "از منوی «خاموشی» یا با تلفن 121 قطع برق را اعلام کنید تا کد رهگیری بگیرید. ابتدا "
        "بررسی می‌شود که محل شما در خاموشی برنامه‌ریزی‌شده هست یا نه؛ اگر نباشد، گروه عملیات "
        "برای رفع عیب اعزام و نتیجه به شما اعلام می‌شود.",
    ),
    (
        Cat.OUTAGES,
        "از کجا بفهمم در محل ما خاموشی برنامه‌ریزی‌شده است؟",
        "جدول خاموشی‌های برنامه‌ریزی‌شده در منوی «خاموشی» به تفکیک شهر و تاریخ منتشر می‌شود. "
        "اگر اشتراک شما در حساب کاربری‌تان ثبت شده باشد، خاموشی‌های برنامه‌ریزی‌شده محل اشتراک "
        "پیش از اجرا برای شما پیامک می‌شود.",
    ),
    (
        Cat.OUTAGES,
        "بوی گاز یا حادثه گاز را کجا اعلام کنم؟",
        "حوادث گاز را فوراً با تلفن شبانه‌روزی 194 اعلام کنید و تا رسیدن گروه امداد، شیر اصلی "
        "گاز را ببندید و وسایل برقی را روشن یا خاموش نکنید.",
    ),
    (
        Cat.TELECOM,
        "خدمات اینترنتی تلفن ثابت چگونه برای من فعال می‌شود؟",
        "پس از ثبت‌نام و درج تلفن‌ها در سامانه، یک بار با اصل کارت ملی و آخرین قبض پرداخت‌شده "
        "تلفن به امور مشترکین یکی از مراکز تلفن بروید تا هویت شما تأیید و حساب کاربری‌تان فعال "
        "شود. اشخاص حقوقی معرفی‌نامه نماینده و مدارک ثبتی شرکت را هم همراه داشته باشند.",
    ),
    (
        Cat.TELECOM,
        "چه کسی می‌تواند ریزمکالمات تلفن ثابت را دریافت کند؟",
        "ریزمکالمات فقط به مالک خط یا وکیل قانونی او، و به مستأجری که اجاره‌نامه معتبر دارد "
        "داده می‌شود. مستأجر هنگام ثبت خط تاریخ پایان اجاره‌نامه را وارد می‌کند و دست‌کم 5 ماه "
        "باید از اعتبار آن باقی مانده باشد.",
    ),
    (
        Cat.TELECOM,
        "چرا مکالمات شهری در ریزمکالمات من نیست؟",
        "ریزمکالمات فقط برای مکالمات بین‌شهری، تلفن همراه و بین‌المللی ارائه می‌شود و مکالمات "
        "داخل شهر به تفکیک ثبت نمی‌شوند. در جستجوی پیشرفته، ریزمکالمات را به تفکیک نوع مکالمه "
        "یا یک شماره خاص در یک بازه زمانی ببینید.",
    ),
    (
        Cat.TELECOM,
        "بستن و باز کردن صفر دوم هزینه دارد؟",
        "بستن صفر دوم (تماس بین‌المللی) طبق تعرفه مخابرات هزینه دارد و باز کردن آن رایگان است.",
    ),
)


def seed_faq(ctx: SeedContext) -> None:
    """The FAQ: every question of seed 000 plus the portal's own."""
    position: Counter = Counter()
    for category, question, answer in FAQ:
        position[category] += 1
        upsert(
            ctx,
            FaqEntry,
            {"question": question},
            {
                "answer": answer,
                "category": category,
                "order": position[category] * 10,
                "is_published": True,
            },
        )


# --- Service cards ---------------------------------------------------------------------------

Section = ServiceCard.Section
CK = ServiceCard.CompanyKind

_PORTAL_COMPLAINTS = (
    "میز خدمت وب‌سایت: بخش شکایات همین سامانه\n"
    "تماس تلفنی: امور مشترکین مربوط (صفحه «شماره تلفن واحدها»)"
)
_ONLINE_HOURS = "شبانه‌روزی، همه روزهای هفته"

# Only 130316670112 (gas meter test, seed 004) is a real service ID; every other
# service_id below is a made-up demo value.
SERVICE_CARDS: tuple[dict[str, Any], ...] = (
    {
        "service_id": "120213450101",  # demo value
        "slug": "consumption-payment-history",
        "title": "ارائه سوابق مصارف و پرداخت مشترکین",
        "section": Section.BILLS,
        "company_kind": CK.ALL,
        "description": (
            "مشترک با وارد کردن شناسه قبض، سوابق مصرف، صورتحساب‌ها و پرداخت‌های دوره‌های گذشته "
            "اشتراک خود را بدون مراجعه حضوری می‌بیند. خدمت با نمایش سوابق مصرف، صورتحساب و "
            "پرداخت به مشترک پایان می‌یابد."
        ),
        "required_documents": "شناسه قبض اشتراک",
        "steps": (
            "ثبت درخواست در همین سامانه، اپلیکیشن همراه یا دفاتر پیشخوان دولت\n"
            "جستجوی شناسه قبض و انتخاب سال شروع سوابق\n"
            "دریافت فهرست سوابق مصرف، صورتحساب و پرداخت (در صورت وجود اطلاعات)"
        ),
        "average_time": "آنی (برخط)",
        "service_hours": _ONLINE_HOURS,
        "fee_description": (
            "در این سامانه رایگان است؛ در دفاتر پیشخوان طبق قوانین و تعرفه‌های مصوب."
        ),
        "payment_methods": "",
        "access_channels": (
            "اینترنتی: همین سامانه، منوی صورتحساب‌ها\n"
            "اپلیکیشن همراه: بخش صورتحساب‌ها\n"
            "دفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        "service_id": "120213450102",  # demo value
        "slug": "bill-print",
        "title": "چاپ قبض کامل و پرداخت صورتحساب",
        "section": Section.BILLS,
        "company_kind": CK.ALL,
        "description": (
            "مشترک با شماره اشتراک یا شناسه قبض، قبض کامل آخرین دوره را با همه اقلام آن "
            "می‌بیند، چاپ می‌کند و مبلغ آن را با شناسه قبض و شناسه پرداخت می‌پردازد."
        ),
        "required_documents": "شماره اشتراک یا شناسه قبض",
        "average_time": "آنی (برخط)",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "رایگان؛ فقط مبلغ صورتحساب پرداخت می‌شود.",
        "payment_methods": (
            "سامانه خدمات الکترونیکی: درگاه اینترنتی\n"
            "خودپرداز و تلفن‌بانک: با شناسه قبض و شناسه پرداخت\n"
            "دفاتر پیشخوان دولت: درگاه دفاتر"
        ),
        "access_channels": (
            "اینترنتی: همین سامانه، منوی صورتحساب‌ها\nدفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        # Seed 004, fact for fact.
        "service_id": "130316670112",
        "slug": "gas-meter-test",
        "title": "تست کنتور گاز",
        "section": Section.AFTER_SALES,
        "company_kind": CK.GAS,
        "description": (
            "اگر مشترک مدعی خرابی کنتور خود باشد، ادعای خود را در فرم تست کنتور به‌صورت حضوری، "
            "از طریق وب‌سایت یا دفاتر پیشخوان دولت اعلام می‌کند و پیگیری لازم از طریق واحد "
            "پست امداد انجام می‌شود. در صورت تأیید خرابی کنتور و پس از پرداخت هزینه آزمایش "
            "کنتور معادل تعرفه موجود، «فرم تعویض کنتور» تکمیل و کنتور تعویض می‌شود و صورتحساب "
            "طبق مقررات اصلاح می‌گردد."
        ),
        "required_documents": "آخرین رقم کنتور\nآخرین قبض تسویه‌شده",
        "steps": (
            "ثبت ادعای خرابی در فرم تست کنتور (سامانه، دفاتر پیشخوان یا حضوری)\n"
            "پرداخت هزینه آزمایش کنتور معادل تعرفه\n"
            "پیگیری و آزمایش کنتور از طریق واحد پست امداد\n"
            "در صورت تأیید خرابی: تکمیل فرم تعویض کنتور و تعویض کنتور\n"
            "اصلاح صورتحساب طبق مقررات"
        ),
        "average_time_hours": 24,
        "average_time": "",
        "service_hours": (
            "در ساعات اداری، در صورت مراجعه مشترک به شرکت\n"
            "ثبت درخواست در این سامانه در همه ساعات شبانه‌روز ممکن است."
        ),
        "in_person_visits": 1,
        "fee_description": (
            "هزینه آزمایش کنتور طبق تعرفه تنظیم مقررات. هزینه خدمات اضافی بر اساس مصوبات "
            "شرکت است؛ به بخش قوانین و مقررات وب‌سایت شرکت مراجعه شود."
        ),
        "kiosk_fee_rials": 109_000,
        "payment_methods": (
            "مراجعه حضوری: از طریق صورتحساب\n"
            "سامانه خدمات الکترونیکی: درگاه اینترنتی\n"
            "دفاتر پیشخوان دولت: درگاه دفاتر"
        ),
        "access_channels": (
            "اینترنتی: همین سامانه، منوی خدمات پس از فروش\n"
            "مرکز تماس و تلفن گویا: 33372465-33372664\n"
            "تلفن همراه: میز خدمت اداره گاز مربوط\n"
            "پیام کوتاه: 500025194\n"
            "دفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": (
            "مراجعه حضوری یا تماس تلفنی: 33372409\n"
            "سامانه رسیدگی و پاسخگویی به شکایات: 3194\n"
            "میز خدمت وب‌سایت: بخش شکایات"
        ),
    },
    {
        "service_id": "120213450201",  # demo value
        "slug": "name-change",
        "title": "تغییر نام مشترک",
        "section": Section.AFTER_SALES,
        "company_kind": CK.ALL,
        "description": (
            "پس از انتقال مالکیت، نام مالک جدید روی اشتراک ثبت می‌شود. بدهی‌های اشتراک باید "
            "تسویه شده باشد و کنتور پیش از تأیید در محل آزمایش می‌شود؛ اگر دسترسی به کنتور "
            "ممکن نباشد، مشترک باید با امور مربوط هماهنگ کند."
        ),
        "required_documents": (
            "مدرک مالکیت یا سند انتقال (سند رسمی، قولنامه یا حکم دادگاه)\n"
            "کارت ملی مالک جدید\n"
            "آخرین قبض تسویه‌شده"
        ),
        "steps": (
            "ثبت درخواست و بارگذاری مدارک\n"
            "تسویه بدهی‌های اشتراک\n"
            "بازدید و تست کنتور در محل انشعاب\n"
            "بررسی مدارک و تأیید نهایی\n"
            "اعلام نتیجه با پیامک"
        ),
        "average_time_hours": 72,
        "average_time": "3 روز کاری",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "طبق تعرفه مصوب؛ هزینه به صورتحساب بعدی افزوده می‌شود.",
        "payment_methods": "سامانه خدمات الکترونیکی: از طریق صورتحساب یا درگاه اینترنتی",
        "access_channels": (
            "اینترنتی: همین سامانه، منوی خدمات پس از فروش\nدفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        "service_id": "120213450202",  # demo value
        "slug": "settlement",
        "title": "تسویه حساب (صورتحساب خارج از دوره)",
        "section": Section.AFTER_SALES,
        "company_kind": CK.ALL,
        "description": (
            "برای جابه‌جایی مستأجر و مالک یا فروش ملک، صورتحساب خارج از دوره تا روز درخواست "
            "صادر می‌شود تا بدهی تا همان روز تسویه شود. برای مبلغ تازه، شناسه پرداخت تازه "
            "ساخته می‌شود."
        ),
        "required_documents": ("شماره اشتراک یا شناسه قبض\nرقم فعلی کنتور (برای اشتراک برق و گاز)"),
        "steps": (
            "ثبت درخواست و رقم فعلی کنتور\n"
            "صدور صورتحساب خارج از دوره\n"
            "پرداخت صورتحساب و دریافت مفاصاحساب"
        ),
        "average_time_hours": 24,
        "average_time": "",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "رایگان؛ فقط مبلغ صورتحساب پرداخت می‌شود.",
        "payment_methods": (
            "سامانه خدمات الکترونیکی: درگاه اینترنتی\nدفاتر پیشخوان دولت: درگاه دفاتر"
        ),
        "access_channels": (
            "اینترنتی: همین سامانه، منوی خدمات پس از فروش، زیرمنوی تسویه حساب\n"
            "دفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        "service_id": "120213450203",  # demo value
        "slug": "self-meter-reading",
        "title": "ثبت کارکرد مشترکین (خوداظهاری)",
        "section": Section.AFTER_SALES,
        "company_kind": CK.ELECTRICITY,
        "description": (
            "مشترک رقم کنتور خود را بدون مراجعه به اداره ثبت می‌کند. با این رقم قبض "
            "علی‌الحساب محاسبه می‌شود و پس از تأیید امور مربوط، قبض با پیامک برای مشترک "
            "ارسال می‌شود."
        ),
        "required_documents": "رقم فعلی کنتور\nتصویر صفحه کنتور (اختیاری)",
        "steps": ("ثبت رقم کنتور\nمحاسبه قبض علی‌الحساب\nتأیید امور مربوط\nارسال قبض با پیامک"),
        "average_time_hours": 48,
        "average_time": "",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "رایگان",
        "payment_methods": "",
        "access_channels": (
            "اینترنتی: همین سامانه، منوی خدمات پس از فروش، زیرمنوی ثبت کارکرد\n"
            "اپلیکیشن همراه: بخش ثبت کارکرد"
        ),
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        "service_id": "120213450301",  # demo value
        "slug": "new-connection-electricity",
        "title": "درخواست انشعاب جدید برق",
        "section": Section.CONNECTION,
        "company_kind": CK.ELECTRICITY,
        "description": (
            "درخواست انشعاب برق برای ساختمان تازه. برای مجتمع‌ها و ساختمان‌های چندطبقه یک "
            "درخواست کافی است و تعداد انشعاب‌ها در همان درخواست وارد می‌شود."
        ),
        "required_documents": (
            "مدرک مالکیت (سند یا قولنامه)\n"
            "کارت ملی متقاضی\n"
            "پروانه ساختمان یا گواهی پایان کار\n"
            "کد پستی محل"
        ),
        "steps": (
            "ثبت درخواست و تعیین تعداد انشعاب‌ها\n"
            "بارگذاری مدارک\n"
            "بازدید کارشناس و برآورد هزینه\n"
            "پرداخت هزینه انشعاب\n"
            "انعقاد قرارداد و نصب کنتور"
        ),
        "average_time_hours": 168,
        "average_time": "7 روز کاری",
        "service_hours": _ONLINE_HOURS,
        "fee_description": (
            "هزینه انشعاب طبق تعرفه مصوب وزارت نیرو، بر اساس قدرت درخواستی و تعداد انشعاب‌ها."
        ),
        "payment_methods": (
            "سامانه خدمات الکترونیکی: درگاه اینترنتی\nدفاتر پیشخوان دولت: درگاه دفاتر"
        ),
        "access_channels": (
            "اینترنتی: همین سامانه، منوی درخواست انشعاب\nدفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        "service_id": "130316670301",  # demo value
        "slug": "new-connection-gas",
        "title": "درخواست انشعاب گاز",
        "section": Section.CONNECTION,
        "company_kind": CK.GAS,
        "description": (
            "درخواست انشعاب گاز طبیعی برای ساختمان تازه. برای مجتمع‌ها یک درخواست با تعداد "
            "واحدها کافی است؛ نصب کنتور پس از تأیید لوله‌کشی داخلی انجام می‌شود."
        ),
        "required_documents": (
            "مدرک مالکیت (سند یا قولنامه)\n"
            "کارت ملی متقاضی\n"
            "تأییدیه لوله‌کشی داخلی ساختمان از سازمان نظام مهندسی"
        ),
        "steps": (
            "ثبت درخواست و تعیین تعداد واحدها\n"
            "بارگذاری مدارک\n"
            "پرداخت هزینه انشعاب\n"
            "بازرسی لوله‌کشی و نصب کنتور"
        ),
        "average_time_hours": 240,
        "average_time": "10 روز کاری",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "هزینه انشعاب طبق تعرفه مصوب، بر اساس نوع و تعداد کنتور.",
        "kiosk_fee_rials": 109_000,
        "payment_methods": (
            "سامانه خدمات الکترونیکی: درگاه اینترنتی\nدفاتر پیشخوان دولت: درگاه دفاتر"
        ),
        "access_channels": (
            "اینترنتی: همین سامانه، منوی درخواست انشعاب\n"
            "مرکز تماس و تلفن گویا: 33372465-33372664\n"
            "دفاتر ارائه خدمت: دفاتر پیشخوان دولت"
        ),
        "complaint_channels": (
            "مراجعه حضوری یا تماس تلفنی: 33372409\nسامانه رسیدگی و پاسخگویی به شکایات: 3194"
        ),
    },
    {
        "service_id": "120213450401",  # demo value
        "slug": "request-tracking",
        "title": "پیگیری مراحل درخواست",
        "section": Section.TRACKING,
        "company_kind": CK.ALL,
        "description": (
            "مرحله فعلی و سوابق مراحل هر درخواست را نشان می‌دهد: برای درخواست انشعاب با شماره "
            "درخواست، و برای خدمات پس از فروش با شماره درخواست به‌همراه شماره اشتراک."
        ),
        "required_documents": (
            "شماره درخواست (درخواست انشعاب)\nشماره درخواست و شماره اشتراک (خدمات پس از فروش)"
        ),
        "average_time": "آنی (برخط)",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "رایگان",
        "payment_methods": "",
        "access_channels": "اینترنتی: همین سامانه، منوی پیگیری سوابق",
        "complaint_channels": _PORTAL_COMPLAINTS,
    },
    {
        "service_id": "120213450501",  # demo value
        "slug": "outage-report",
        "title": "رفع خاموشی مشترکین برق",
        "section": Section.OUTAGES,
        "company_kind": CK.ELECTRICITY,
        "description": (
            "مشترک قطع برق را اعلام می‌کند و کد رهگیری می‌گیرد؛ پس از بررسی وضعیت محل و رفع "
            "عیب، برق او وصل می‌شود. خدمت با اعلام وضعیت محل و نتیجه رفع خاموشی به مشترک پایان "
            "می‌یابد."
        ),
        "required_documents": "شناسه قبض یا نشانی دقیق محل خاموشی",
        "steps": (
            "ثبت درخواست از طریق تلفن 121 یا همین سامانه\n"
            "ثبت درخواست رفع خاموشی و ارائه کد رهگیری\n"
            "بررسی وضعیت خاموشی محل اشتراک اعلام‌شده\n"
            "رفع خاموشی و رفع مشکل (اگر خاموشی از پیش برنامه‌ریزی‌شده نباشد)\n"
            "اعلام نتیجه بررسی و رفع خاموشی"
        ),
        "average_time": "بسته به نوع و گستره عیب",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "اعلام خاموشی رایگان است؛ هزینه‌ها طبق تعرفه‌های مصوب صنعت برق.",
        "payment_methods": "",
        "access_channels": (
            "تلفن اعلام خاموشی: 121\n"
            "اینترنتی: همین سامانه، منوی خاموشی\n"
            "اپلیکیشن همراه: بخش اعلام خاموشی"
        ),
        "complaint_channels": "تماس تلفنی: 121\nمیز خدمت وب‌سایت: بخش شکایات همین سامانه",
    },
    {
        "service_id": "120213450502",  # demo value
        "slug": "planned-outages",
        "title": "اطلاع از خاموشی‌های برنامه‌ریزی‌شده",
        "section": Section.OUTAGES,
        "company_kind": CK.ELECTRICITY,
        "description": (
            "جدول خاموشی‌های برنامه‌ریزی‌شده به تفکیک شهر، محدوده و زمان؛ مشترکینی که اشتراک "
            "خود را در حساب کاربری ثبت کرده‌اند، پیش از هر خاموشی پیامک دریافت می‌کنند."
        ),
        "required_documents": "",
        "average_time": "آنی (برخط)",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "رایگان",
        "payment_methods": "",
        "access_channels": "اینترنتی: همین سامانه، منوی خاموشی\nپیامک: برای اشتراک‌های ثبت‌شده",
        "complaint_channels": "تماس تلفنی: 121",
    },
    {
        "service_id": "140518220101",  # demo value
        "slug": "call-detail-records",
        "title": "ارائه ریزمکالمات تلفن ثابت",
        "section": Section.TELECOM,
        "company_kind": CK.TELECOM,
        "description": (
            "گزارش ریزمکالمات بین‌شهری، تلفن همراه و بین‌المللی خط تلفن ثابت، به تفکیک نوع "
            "مکالمه یا یک شماره خاص در یک بازه زمانی. مکالمات شهری به تفکیک ارائه نمی‌شود. "
            "ریزمکالمات فقط به مالک خط، وکیل قانونی او یا مستأجر دارای اجاره‌نامه معتبر داده "
            "می‌شود."
        ),
        "required_documents": (
            "اصل کارت ملی، شناسنامه یا گذرنامه و یک کپی از آن (برای احراز هویت)\n"
            "آخرین قبض پرداخت‌شده تلفن\n"
            "اجاره‌نامه معتبر با دست‌کم 5 ماه اعتبار باقی‌مانده (اگر استفاده‌کننده مالک نیست)\n"
            "اشخاص حقوقی: معرفی‌نامه نماینده و آگهی آخرین تغییرات و صاحبان امضای مجاز"
        ),
        "steps": (
            "ثبت‌نام در سامانه و درج تلفن‌ها با وضعیت تملک (مالک یا استفاده‌کننده)\n"
            "یک بار مراجعه به امور مشترکین یکی از مراکز تلفن برای احراز هویت\n"
            "انتخاب خط و بازه زمانی و دریافت ریزمکالمات"
        ),
        "average_time": "آنی، پس از فعال شدن حساب کاربری",
        "service_hours": _ONLINE_HOURS,
        "in_person_visits": 1,
        "fee_description": "طبق تعرفه مصوب مخابرات",
        "payment_methods": "سامانه خدمات الکترونیکی: درگاه اینترنتی",
        "access_channels": (
            "اینترنتی: همین سامانه، منوی خدمات تلفن ثابت\n"
            "مراکز تلفن: امور مشترکین (احراز هویت و فعال‌سازی)"
        ),
        "complaint_channels": ("مرکز تماس مخابرات: 2020\nمیز خدمت وب‌سایت: بخش شکایات همین سامانه"),
    },
    {
        "service_id": "140518220102",  # demo value
        "slug": "second-zero",
        "title": "بستن و باز کردن صفر دوم",
        "section": Section.TELECOM,
        "company_kind": CK.TELECOM,
        "description": "بستن یا باز کردن امکان تماس بین‌المللی (صفر دوم) خط تلفن ثابت.",
        "required_documents": "شماره تلفن ثابت (خط باید در حساب کاربری مالک ثبت شده باشد)",
        "average_time_hours": 24,
        "average_time": "",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "بستن صفر دوم طبق تعرفه مخابرات؛ باز کردن آن رایگان است.",
        "payment_methods": "سامانه خدمات الکترونیکی: درگاه اینترنتی",
        "access_channels": "اینترنتی: همین سامانه، منوی خدمات تلفن ثابت",
        "complaint_channels": "مرکز تماس مخابرات: 2020",
    },
    {
        "service_id": "140518220103",  # demo value
        "slug": "phone-fault-report",
        "title": "اعلام خرابی تلفن ثابت",
        "section": Section.TELECOM,
        "company_kind": CK.TELECOM,
        "description": "اعلام قطعی یا خرابی خط تلفن ثابت و پیگیری رفع آن با کد رهگیری.",
        "required_documents": "شماره تلفن ثابت",
        "average_time_hours": 48,
        "average_time": "",
        "service_hours": _ONLINE_HOURS,
        "fee_description": "رایگان",
        "payment_methods": "",
        "access_channels": "تلفن اعلام خرابی: 117\nاینترنتی: همین سامانه، منوی خدمات تلفن ثابت",
        "complaint_channels": "مرکز تماس مخابرات: 2020",
    },
)

_CARD_DEFAULTS: dict[str, Any] = {
    "service_type": ServiceCard.ServiceType.G2C,
    "required_documents": "",
    "steps": "",
    "average_time_hours": None,
    "average_time": "",
    "service_hours": "",
    "in_person_visits": 0,
    "fee_description": "",
    "kiosk_fee_rials": None,
    "payment_methods": "",
    "access_channels": "",
    "complaint_channels": "",
    "is_published": True,
}


def seed_service_cards(ctx: SeedContext) -> None:
    """Service cards («شناسنامه خدمت»): at least one for every menu section."""
    for position, spec in enumerate(SERVICE_CARDS, start=1):
        values = {**_CARD_DEFAULTS, **spec, "order": position * 10}
        service_id = values.pop("service_id")
        upsert(ctx, ServiceCard, {"service_id": service_id}, values)


# --- Demo accounts -----------------------------------------------------------------------------


# The steps, in order. Later issues insert theirs after the steps they build on, e.g.
# subscriptions and bills after the accounts, outages after the reference data.
STEPS: list[Step] = [
    Step("شرکت‌ها، امور و شماره تلفن واحدها", seed_reference_data),
    Step("سوالات متداول", seed_faq),
    Step("شناسنامه خدمات", seed_service_cards),
    Step("حساب‌ها، اشتراک‌ها و دفتر پیشخوان", seed_accounts),
    Step("انواع درخواست", seed_request_types),
    Step("درخواست‌های نمونه در همه مراحل", seed_requests),
    Step("فیدرها و برنامه خاموشی هفته آینده", seed_outage_schedule),
    Step("حوادث خاموشی و کلید Open311", seed_outage_incidents),
    Step("تعرفه‌ها و پنج سال صورتحساب و پرداخت", seed_bills),
    Step("خطوط تلفن ثابت و فعال‌سازی خدمات", seed_phone_lines),
    Step("خدمات پانزده‌گانه تلفن ثابت", seed_line_services),
    Step("ریزمکالمات خطوط نمونه", seed_call_records),
]


class Command(BaseCommand):
    help = "داده نمایشی سامانه را می‌سازد یا به‌روز می‌کند (اجرای دوباره چیزی را تکرار نمی‌کند)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"seed of the random generator (default {DEFAULT_SEED}); same seed, same data",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="do nothing if demo data was loaded before (used by `make run`)",
        )
        parser.add_argument(
            "--scale",
            choices=("demo", "bench"),
            default="demo",
            help="bulk volumes: demo (about a million call records) or bench (10 million)",
        )

    def handle(self, *args, seed: int, once: bool = False, scale: str = "demo", **options) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("seed_demo creates demo logins and never runs in production.")
        if once and UtilityCompany.objects.exists():
            self.stdout.write("seed_demo: demo data already loaded (--once); nothing to do.")
            return
        # Reproducible on purpose: demo data, never secrets.
        ctx = SeedContext(rng=random.Random(seed), scale=scale)  # noqa: S311
        lines = []
        with transaction.atomic():
            for step in STEPS:
                before = Counter(ctx.stats)
                step.run(ctx)
                done = ctx.stats - before
                lines.append(
                    f"  {step.title}: created {done['created']}, updated {done['updated']}, "
                    f"unchanged {done['unchanged']}"
                )
        self.stdout.write(f"seed_demo (seed={seed})")
        self.stdout.write("\n".join(lines))
        totals = ", ".join(
            f"{model._meta.verbose_name_plural}: {model.objects.count()}"
            for model in ctx.touched_models
        )
        self.stdout.write(f"  rows now: {totals}")
        if ctx.credentials:
            self.stdout.write("  demo logins:")
            for role, username, password in ctx.credentials:
                self.stdout.write(f"    {role}: {username} / {password}")
        self.stdout.write(
            self.style.SUCCESS(
                f"done: created {ctx.stats['created']}, updated {ctx.stats['updated']}, "
                f"unchanged {ctx.stats['unchanged']}"
            )
        )
