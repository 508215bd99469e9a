"""RequestType.Behaviour gains SELF_READING: a self meter reading filed for approval (billing)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0003_request_roles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="requesttype",
            name="behaviour",
            field=models.CharField(
                choices=[
                    ("plain", "عادی"),
                    ("new_connection", "انشعاب جدید (بدون اشتراک)"),
                    ("meter_test", "آزمایش کنتور (نتیجه سالم/معیوب)"),
                    ("meter_replacement", "تعویض کنتور"),
                    ("name_change", "تغییر نام"),
                    ("settlement", "تسویه\u200cحساب مالک و مستأجر"),
                    ("self_reading", "ثبت کارکرد کنتور (قبض علی\u200cالحساب)"),
                ],
                default="plain",
                max_length=30,
                verbose_name="رفتار ویژه",
            ),
        ),
    ]
