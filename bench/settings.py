"""Settings for the benchmark server: production-like base settings, DEBUG forced off.

Overrides: STATIC_ROOT; ROOT_URLCONF (``bench.urls`` = the portal's URLs plus the minimal
baseline views of some scenarios, served by the benchmark server only); and the call-record
search rate limit (every simulated user of the cdr-search scenario shares one subscriber's
token; the limit's counter UPDATE still runs on every request). With DEBUG off the manifest
static storage refuses to render any page whose static files were not collected, and
collecting them into the project's own STATIC_ROOT would write outside bench/; so the runner
collects them into bench/var/staticfiles instead.
"""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import BASE_DIR

DEBUG = False
STATIC_ROOT = BASE_DIR / "bench" / "var" / "staticfiles"
ROOT_URLCONF = "bench.urls"
TELECOM_CALL_SEARCHES_PER_MINUTE = 10**9
