"""The framework's floor: a bare Flask app that returns a short HTML string.

Served by the same gunicorn, with the same settings, as gosmart in the same run."""
from flask import Flask

app = Flask(__name__)

PAGE = "<!doctype html><html lang=en><title>bare</title><p>Hello from a bare Flask app.</p></html>"


@app.route("/")
def index():
    return PAGE
