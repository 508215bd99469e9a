"""Read paths of requests_app: help pages and the catalog (``help``), requests (``requests``)."""

from requests_app.selectors.help import *  # noqa: F403
from requests_app.selectors.help import Group  # noqa: F401
