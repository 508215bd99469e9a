from django.apps import AppConfig


class TelecomConfig(AppConfig):
    name = "telecom"
    verbose_name = "تلفن ثابت"
