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

# The chat's production command: its gunicorn.conf.py binds :$PORT, runs one gevent
# worker and chains SIGTERM to close sockets with 1001. exec hands PID 1 to gunicorn
# so that Cloud Run's SIGTERM reaches it.
CMD exec gunicorn -c functions/chat/gunicorn.conf.py 'functions.chat.app:create_app()'
