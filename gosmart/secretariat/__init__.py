from flask import Blueprint

bp = Blueprint("secretariat", __name__)

from . import routes  # noqa: E402,F401
