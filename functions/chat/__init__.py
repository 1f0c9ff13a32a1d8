"""The chat container: a Flask + flask-sock app served by gunicorn's gevent worker (see DEPLOY.md)."""
