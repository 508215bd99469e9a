"""HTML views of billing; each module owns its routes (see billing/urls.py)."""
