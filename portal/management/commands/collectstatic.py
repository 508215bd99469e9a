"""``collectstatic`` that always skips django-jalali's broken minified css.

django-jalali ships ``jquery-ui.min.css`` referencing images it does not include, so the
manifest storage aborts on it. The admin uses the non-minified file instead (see
``JALALI_SETTINGS``), so the minified one is never needed; ignoring it here means nobody has
to remember an ``--ignore`` flag in Docker, CI or a deployment script.
"""

from django.contrib.staticfiles.management.commands.collectstatic import (
    Command as CollectStaticCommand,
)

ALWAYS_IGNORED = ["jquery-ui.min.css"]


class Command(CollectStaticCommand):
    def set_options(self, **options):
        super().set_options(**options)
        self.ignore_patterns = list(dict.fromkeys([*self.ignore_patterns, *ALWAYS_IGNORED]))
