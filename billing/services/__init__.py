"""Writes of billing, one module per concern: imports (bills and payments files), notices (bill
SMS), tariffs (computing a bill), readings (self meter reading), settlement."""
