"""`make bench`: gosmart under load against a bare Flask app, on SQLite and PostgreSQL (see README)."""
