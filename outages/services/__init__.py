"""Writes of the outages app: reports (reports.py), incidents (incidents.py), the planned
schedule and its alerts (schedule.py), Open311 keys (keys.py)."""
