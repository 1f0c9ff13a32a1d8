"""gunicorn settings for the chat container (the production command is in DEPLOY.md).

One process, gevent worker: every socket is a greenlet, so one instance holds
thousands of mostly idle sockets (measured: about 12x the message rate of the
threaded worker at 1,000 sockets). gunicorn's gevent worker monkey-patches the
standard library before it imports the app, so SQLAlchemy, pg8000 and the
chat's threads all become cooperative. Options (environment): ``PORT`` (8080),
``CHAT_WORKER_CONNECTIONS`` (2000): sockets one process accepts.
"""
import os

bind = f":{os.environ.get('PORT', '8080')}"
worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("CHAT_WORKER_CONNECTIONS", "2000"))
timeout = 0  # sockets live long; Cloud Run's request timeout bounds them
graceful_timeout = 8  # Cloud Run allows about 10 s after SIGTERM
keepalive = 5
control_socket_disable = True  # no runtime control socket: the platform manages the process
# Request lines may carry a one-time ?ticket=: if access logs are turned on, log the path without the query.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    """SIGTERM: interrupt runs and close sockets with 1001 (see functions/chat/lifecycle.py)."""
    from functions.chat.lifecycle import chain_sigterm
    chain_sigterm(worker.wsgi.extensions["tokenwise_chat"])

# gunicorn's own loggers write through the same one-line JSON formatter as the app (Cloud Logging
# reads one entry a line; a plain or multi-line message would be split or lose its severity).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shared.logging.JsonFormatter"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
    "root": {"level": "WARNING", "handlers": []},  # the app's own configure() gives the root its handler
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
    },
}
