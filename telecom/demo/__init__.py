"""Demo data of the telecom app, one module per area; seed_demo runs these steps in order."""

from telecom.demo.calls import seed_call_records
from telecom.demo.lines import seed_phone_lines
from telecom.demo.services import seed_line_services

__all__ = ["seed_call_records", "seed_line_services", "seed_phone_lines"]
