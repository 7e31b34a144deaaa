from flask import Blueprint

bp = Blueprint("minutes", __name__)

from . import routes  # noqa: E402,F401
