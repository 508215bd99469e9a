"""Template context shared by every page: site name and the main service menu."""

from django.conf import settings
from django.http import HttpRequest

# The service menu of seed 000's portal, in its order: (key, title, URL name). Each service
# section opens on its catalog page (the service cards of that section); later issues add
# the working pages to each section.
MAIN_MENU = (
    ("bills", "صورتحساب‌ها", "requests_app:section-bills"),
    ("after_sales", "خدمات پس از فروش", "requests_app:section-after_sales"),
    ("connection", "درخواست انشعاب", "requests_app:section-connection"),
    ("tracking", "پیگیری سوابق", "requests_app:section-tracking"),
    ("outages", "خاموشی", "requests_app:section-outages"),
    ("telecom", "خدمات تلفن ثابت", "requests_app:section-telecom"),
    ("help", "راهنما", "requests_app:help"),
)

SERVICE_BLURBS = (
    ("bills", "سوابق مصرف و پرداخت با شناسه قبض، چاپ قبض کامل و پرداخت آخرین صورتحساب."),
    ("after_sales", "تغییر نام، تسویه حساب، تست کنتور، ثبت کارکرد و سایر خدمات مشترکین."),
    ("connection", "درخواست انشعاب جدید برق و گاز، حتی برای مجتمع‌های چندواحدی در یک درخواست."),
    ("tracking", "پیگیری مراحل درخواست با شماره درخواست و شماره اشتراک."),
    ("outages", "اعلام خاموشی، دریافت کد رهگیری و مشاهده جدول خاموشی‌های برنامه‌ریزی‌شده."),
    ("telecom", "ریزمکالمات، سرویس‌های ویژه، بستن صفر دوم و دیگر خدمات تلفن ثابت."),
)


def site(request: HttpRequest) -> dict:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "MAIN_MENU": MAIN_MENU,
        "SERVICE_BLURBS": SERVICE_BLURBS,
    }
