"""Call-record ids from a sequence that hands each session 1,000 numbers at a time.

Every row a COPY writes takes ``nextval``; uncached, each call locks the sequence and writes
WAL every 32 numbers, ~15 % of a streamed import (bench/telecom_imports.py). Cached, ids stay
unique but are no longer in commit order across sessions; nothing needs that: the search's
keyset orders a line's calls by (started_at, id), and id only breaks ties within one second.
"""

from django.db import migrations


def cache_ids(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER SEQUENCE telecom_callrecord_id_seq CACHE 1000")


def uncache_ids(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER SEQUENCE telecom_callrecord_id_seq CACHE 1")


class Migration(migrations.Migration):
    dependencies = [("telecom", "0003_line_claims")]

    operations = [migrations.RunPython(cache_ids, uncache_ids)]
