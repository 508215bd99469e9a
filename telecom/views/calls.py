"""Pages (stub until its part of the telecom issue lands)."""

urlpatterns: list = []
