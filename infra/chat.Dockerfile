# The chat container (Cloud Run service "chat"). Build it from the staged deploy
# folder, which holds only main.py, functions/, shared/ and requirements.txt:
#   python -m infra.stage deploy && docker build -f infra/chat.Dockerfile -t IMAGE deploy
# The same image runs the schema migrations as a Cloud Run job
# (command: python -m shared.db.migrate).
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TOKENWISE_DATA_DIR=/tmp/tokenwise \
    PORT=8080

WORKDIR /app

# Dependencies first: their layer is reused while only the code changes.
COPY requirements.txt .
RUN pip install --no-compile -r requirements.txt \
    && groupadd --system --gid 10001 tokenwise \
    && useradd --system --uid 10001 --gid tokenwise --no-create-home --shell /usr/sbin/nologin tokenwise

# The code stays owned by root: the service user can read it, not change it.
COPY . .

USER tokenwise
EXPOSE 8080

# Shell form so that Cloud Run's $PORT expands; exec hands PID 1 to gunicorn so
# SIGTERM reaches it and open sockets are closed with 1001 before the instance stops.
CMD exec gunicorn -k gevent -w 1 --worker-connections 2000 -b :$PORT --timeout 0 --graceful-timeout 8 'functions.chat.app:create_app()'
