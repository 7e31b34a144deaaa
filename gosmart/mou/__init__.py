from flask import Blueprint

bp = Blueprint("mou", __name__)

from . import routes  # noqa: E402,F401
