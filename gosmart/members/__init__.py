from flask import Blueprint

from .standing import in_good_standing

bp = Blueprint("members", __name__)
# Templates ask the same rule as the routes and services: in_good_standing(current_user).
bp.add_app_template_global(in_good_standing, "in_good_standing")

from . import routes  # noqa: E402,F401
