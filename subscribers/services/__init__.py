"""subscribers' write paths, one module per area (otp, accounts, subscriptions, kiosk, audit)."""
