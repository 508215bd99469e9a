"""Models of the telecom app arrive with its issue; the app is installed from the foundation on."""
