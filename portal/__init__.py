"""Project package: settings, URLs, Celery app and model-free helpers."""

from .celery import app as celery_app

__all__ = ("celery_app",)
