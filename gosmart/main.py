"""The landing page and the health checks."""
from flask import Blueprint, jsonify, redirect, render_template
from flask_login import current_user
from sqlalchemy import text

from .auth.routes import home_url
from .extensions import db
from .health import readiness
from .permissions import public, signed_in

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return render_template("main/index.html")


@bp.route("/home")
@signed_in
def home():
    return redirect(home_url(current_user))


@bp.route("/healthz")
@public
def healthz():
    """Liveness: the process answers and reaches the database."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/readyz")
@public
def readyz():
    """Readiness: database and Redis reachable, schema at the migrations' head; 503 says which is not."""
    ready, details = readiness()
    return jsonify(details), 200 if ready else 503
