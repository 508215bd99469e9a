"""Models of the billing app arrive with its issue; the app is installed from the foundation on."""
