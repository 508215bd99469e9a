"""API of requests_app: the catalog (``catalog``) and service requests (``requests``)."""
