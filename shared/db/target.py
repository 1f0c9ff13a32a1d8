"""Where the database is, and the one function that opens a connection to it.

The engine's pool and the health probe both open connections through
``Target.connect``, so health checks exactly what requests use. This module
imports neither SQLAlchemy nor pg8000 until it connects: health stays cheap on a
cold start. URL forms (``DATABASE_URL``):

- ``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://`` (in memory),
  ``sqlite:///file:PATH?mode=ro&uri=true`` (an SQLite URI);
- ``postgresql+pg8000://USER:PASS@HOST:5432/DB`` (the password runs to the first ``@``:
  percent-encode any ``@`` or ``%`` in it), and Cloud SQL from Cloud Run over its unix socket:
  ``postgresql+pg8000://USER:PASS@/DB?unix_sock=/cloudsql/PROJECT:REGION:INSTANCE/.s.PGSQL.5432``.
  ``application_name`` is the only other query option.
"""
from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, unquote

from shared import compat, config

NOT_SET_IN_PRODUCTION = "DATABASE_URL is not set; production needs a PostgreSQL URL"
SOCKET_GRACE_S = 2.0  # how much longer than the server's statement_timeout the socket waits
_URL_FORMS = "use postgresql+pg8000:// or sqlite://"
_PG_OPTIONS = ("unix_sock", "application_name")
# SQLAlchemy's own reading of the part after "://": a password runs to the first "@", so it may hold
# "/", "?", "#" or brackets unescaped; a bracketed host is IPv6.
_PG_REST = re.compile(r"""
    (?:(?P<user>[^:/]*)(?::(?P<password>[^@]*))?@)?
    (?:\[(?P<ipv6>[^/?]+)\]|(?P<host>[^/:?]+))?
    (?::(?P<port>[^/?]*))?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?
""", re.VERBOSE | re.DOTALL)
_SQLITE_SCHEMES = ("sqlite", "sqlite+pysqlite")
_SQLITE_URI_OPTIONS = ("mode", "cache", "vfs", "psow", "nolock", "immutable", "modeof")
_TRUE = ("true", "1", "yes", "y", "on", "t")


def connect_timeout_s() -> float:
    """``DB_CONNECT_TIMEOUT_S`` (default 5): how long connecting may take."""
    return config.env_float("DB_CONNECT_TIMEOUT_S", 5.0)


def query_timeout_s() -> float:
    """``DB_QUERY_TIMEOUT_S`` (default 30): the server's ``statement_timeout``."""
    return config.env_float("DB_QUERY_TIMEOUT_S", 30.0)


def socket_timeout_s() -> float:
    """How long a read on a live connection waits: past the server's own limit, so it cancels first."""
    return query_timeout_s() + SOCKET_GRACE_S


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{config.data_dir() / 'tokenwise.db'}"


def backend(url: str | None = None) -> str:
    url = url or database_url()
    return "sqlite" if url.startswith("sqlite") else "postgresql"


class UnusableURL(ValueError):
    """``DATABASE_URL`` (or the schema option) cannot be used; the message says why."""


@dataclass(frozen=True)
class Target:
    """A parsed ``DATABASE_URL``: the driver's connect arguments, or why there are none."""

    key: str = field(repr=False)  # changes whenever anything below would; holds the whole URL
    backend: str
    problem: str | None = None  # set: nothing here may be used
    database: str | None = None  # SQLite: file path, ":memory:" or a "file:" URI
    connect_args: dict = field(default_factory=dict, repr=False)  # may hold the password
    schema: str = ""

    @property
    def in_memory(self) -> bool:
        """An SQLite database that lives in its connection (one per thread, as SQLAlchemy pools it)."""
        return self.database == ":memory:" or (
            self.connect_args.get("uri", False) and "mode=memory" in (self.database or "").partition("?")[2])

    @property
    def driver_errors(self) -> tuple[type[BaseException], ...]:
        """What connecting and querying raise when the database, not our code, is the problem."""
        if self.backend == "sqlite":
            return (sqlite3.Error, OSError)
        import pg8000
        return (pg8000.Error, OSError)

    def connect(self):
        """A new DBAPI connection with this service's session settings applied."""
        if self.backend == "sqlite":
            return _connect_sqlite(self.database, self.connect_args)
        return _connect_pg(self.connect_args, self.schema)


def current() -> Target:
    """The target named by the environment as it is now."""
    given = os.environ.get("DATABASE_URL", "").strip()
    return _target(given, database_url(), os.environ.get("TOKENWISE_DB_SCHEMA", "").strip(),
                   config.is_production())


@lru_cache(maxsize=16)  # every transaction asks; the answer changes only with the environment
def _target(given: str, url: str, schema: str, production: bool) -> Target:
    key = f"{given}#{url}#{schema}#{production}"
    if not given and production:
        return Target(key, backend(url), problem=NOT_SET_IN_PRODUCTION)
    try:
        return _parse(key, url, schema)
    except UnusableURL as exc:
        return Target(key, backend(url), problem=f"DATABASE_URL is not usable: {exc}")


def _parse(key: str, url: str, schema: str) -> Target:
    # Messages never quote the URL: it may hold a password, and they reach health and 503 bodies.
    scheme, sep, rest = url.partition("://")
    if not sep or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        raise UnusableURL(f"it is not a database URL; {_URL_FORMS}")
    if scheme in _SQLITE_SCHEMES:
        return _parse_sqlite(key, rest)
    if scheme != "postgresql+pg8000":
        raise UnusableURL(f"unsupported database URL scheme {scheme!r}; {_URL_FORMS}")
    if schema and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise UnusableURL(f"TOKENWISE_DB_SCHEMA {schema!r} is not a plain lower-case identifier")
    parts = _PG_REST.fullmatch(rest)
    if parts is None:
        raise UnusableURL("it does not read as postgresql+pg8000://USER:PASSWORD@HOST:PORT/DATABASE")
    args: dict = {"user": unquote(parts["user"] or "")}
    if not args["user"]:
        raise UnusableURL("no user name before the host (postgresql+pg8000://USER@HOST/DB)")
    if parts["password"] is not None:
        args["password"] = unquote(parts["password"])
    if parts["ipv6"] or parts["host"]:
        args["host"] = parts["ipv6"] or parts["host"]
    if parts["port"]:
        if not parts["port"].isdigit() or int(parts["port"]) > 65535:
            raise UnusableURL("the port is not a number from 0 to 65535")
        args["port"] = int(parts["port"])
    if parts["database"]:
        args["database"] = unquote(parts["database"])
    for name, value in parse_qsl(parts["query"] or "", keep_blank_values=True):
        if name not in _PG_OPTIONS:
            raise UnusableURL(f"unsupported option {name!r}; the options are {', '.join(_PG_OPTIONS)}")
        args[name] = value
    return Target(key, "postgresql", connect_args=args, schema=schema)


def _parse_sqlite(key: str, rest: str) -> Target:
    path, _sep, query = rest.partition("?")
    if path and not path.startswith("/"):
        raise UnusableURL("an SQLite URL is sqlite:///PATH (three slashes) or sqlite:// for memory")
    database = unquote(path[1:]) or ":memory:"
    options = dict(parse_qsl(query, keep_blank_values=True))
    uri = options.pop("uri", "false").lower() in _TRUE
    allowed = _SQLITE_URI_OPTIONS if uri else ()
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        understood = f"SQLite URI options {', '.join(_SQLITE_URI_OPTIONS)} with uri=true" if uri else "uri=true"
        raise UnusableURL(f"unsupported SQLite option {unknown[0]!r}; understood: {understood}")
    if options:  # they belong to the SQLite URI itself (mode=ro, cache=shared, ...)
        database = f"{database}?{'&'.join(f'{k}={v}' for k, v in options.items())}"
    return Target(key, "sqlite", database=database, connect_args={"uri": uri})


def _sqlite_folder(database: str) -> str | None:
    if database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.dirname(os.path.abspath(database))


def _connect_sqlite(database: str, args: dict):
    folder = _sqlite_folder(database)
    if folder is not None:
        # At connect time, not at startup: a folder that appears later (a mounted volume) is used.
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise sqlite3.OperationalError(
                f"cannot create the folder {folder} for the SQLite database: {exc.strerror}") from exc
    conn = sqlite3.connect(database, uri=args["uri"], check_same_thread=False, timeout=15)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=15000")
        if folder is not None:
            conn.execute("PRAGMA journal_mode=WAL")  # readers run beside one writer
    except BaseException:
        close_quietly(conn)
        raise
    return conn


def close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # closing a connection whose link is already gone; the first error is the news
        pass


def _connect_pg(args: dict, schema: str):
    import pg8000  # the module SQLAlchemy's pg8000 dialect drives

    conn = pg8000.connect(**args, timeout=connect_timeout_s())
    try:
        # pg8000's one `timeout` bounds connecting and every socket read alike. Once connected, the
        # server's statement_timeout bounds a query; the socket waits a little longer, so a slow query
        # is cancelled cleanly and only a silent server trips the socket timeout.
        compat.set_read_timeout(conn, socket_timeout_s())
        cursor = conn.cursor()
        cursor.execute(f"SET statement_timeout = {int(query_timeout_s() * 1000)}")
        if schema:
            cursor.execute(f"SET search_path TO {schema}")
        cursor.close()
        conn.commit()
    except BaseException:
        close_quietly(conn)
        raise
    return conn
