#!/usr/bin/env python3
"""Creates the PostgreSQL database named in a DATABASE_URL if it does not exist yet."""

import sys
from urllib.parse import urlparse

import psycopg2
from psycopg2 import sql


def main(url: str) -> int:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    connection = psycopg2.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname="postgres",
        connect_timeout=5,
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}", file=sys.stderr)
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
