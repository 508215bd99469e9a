"""The billing API under /api/v1/; each module owns its routes (see billing/api_urls.py)."""
