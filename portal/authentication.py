"""The API's token check (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``): DRF's
``TokenAuthentication`` with its one query prepared, as a mobile app authenticates every
request with its token (the call search's hottest part after the search itself).

DRF reads the token with ``Token.objects.select_related("user").get(key=key)``: building and
compiling that ORM statement cost more than the rest of the call search's access checks. Here
the same queryset is compiled once per process and database (``portal.prepared``)
and each request runs it with its key; the token and its user are loaded with every field,
as ``select_related`` loads them. Everything else — the header parsing, the messages, the
refusal of an inactive user, the ``WWW-Authenticate`` keyword — is DRF's own (inherited),
and drf-spectacular documents it as DRF's ``tokenAuth`` scheme (it matches subclasses).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import router
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from portal.prepared import PreparedStatement, statement_prepare

_KEY = "\x00prepared-token-key"
_statements: dict[tuple[type, str], PreparedStatement] = {}


def _fields(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _statement(token_model, alias: str) -> PreparedStatement:
    user_fields = _fields(get_user_model())
    queryset = (
        token_model.objects.using(alias)
        .filter(key=_KEY)
        .values_list(*_fields(token_model), *(f"user__{name}" for name in user_fields))
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    return statement_prepare(
        alias=alias,
        sql=sql,
        params=params,
        compiler=compiler,
        placeholders={_KEY: "key"},
        texts=(_KEY,),
    )


class PreparedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        model = self.get_model()
        alias = router.db_for_read(model)
        statement = _statements.get((model, alias))
        if statement is None:
            statement = _statements[(model, alias)] = _statement(model, alias)
        rows = statement.fetch({"key": key})
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token_fields = _fields(model)
        user_model = get_user_model()
        [row] = rows  # key is the primary key
        token = model.from_db(alias, token_fields, row[: len(token_fields)])
        token.user = user_model.from_db(alias, _fields(user_model), row[len(token_fields) :])
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
