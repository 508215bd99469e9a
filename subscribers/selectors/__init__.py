"""subscribers' read paths, one module per area; querysets come back scoped and joined."""
