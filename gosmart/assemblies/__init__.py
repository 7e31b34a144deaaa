from flask import Blueprint

bp = Blueprint("assemblies", __name__)

from . import routes  # noqa: E402,F401
