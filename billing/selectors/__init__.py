"""Read paths of billing. ``bills`` holds who may see which bills; the other modules build on
it and never query ``Bill`` for a user without going through ``bill_access_for_user``."""
