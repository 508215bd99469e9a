"""HTML views of requests_app: help pages and catalog (``help``), and the request screens."""
