from flask import Blueprint

bp = Blueprint("members", __name__)

from . import routes  # noqa: E402,F401
