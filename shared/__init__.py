"""Code shared by every Tokenwise unit: config, database, auth, HTTP errors, health, logs."""

__version__ = "0.1.0"
