"""Models of the outages app arrive with its issue; the app is installed from the foundation on."""
