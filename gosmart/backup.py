"""`flask backup` and `flask restore` for the SQLite database (the default).

The copy is made with SQLite's online backup API: a consistent snapshot even while the web
server and the workers write (they are neither stopped nor blocked for long). PostgreSQL
has its own tools, pg_dump and pg_restore (README, "Backups"); these commands say so.
Stored files are in the database (FILE_STORAGE=database, the default), so the copy holds them
too; with FILE_STORAGE=directory, copy UPLOAD_DIR beside it (README, "Backups")."""
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

PG_HINT = ("The database is PostgreSQL: use its own tools, e.g.\n"
           "  pg_dump --format=custom --file=gosmart.dump \"$DATABASE_URL\"\n"
           "  pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" gosmart.dump\n"
           "(with a plain postgresql:// URL; see README, \"Backups\").")


def sqlite_path():
    """The configured SQLite file, or a ClickException saying why there is none."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(PG_HINT)
    if not url.database or url.database == ":memory:":
        raise click.ClickException("The database is in memory: there is nothing to back up.")
    return Path(url.database).resolve()


def _copy(source, target, journal_mode=None):
    """source → target with the online backup API (both are SQLite files)."""
    src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
        if journal_mode:
            dst.execute(f"PRAGMA journal_mode={journal_mode}")
    finally:
        src.close()
        dst.close()


def _check(path):
    """The file is a whole SQLite database of this application: (ok, the migration it is at)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=rw", uri=True) as connection:
            verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            version = (connection.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
                if "alembic_version" in tables else None
        connection.close()
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{path} is not a readable SQLite database: {error}") from None
    if verdict != "ok":
        raise click.ClickException(f"{path} is damaged: {verdict}")
    if "users" not in tables:
        raise click.ClickException(f"{path} is not a gosmart database (it has no users table).")
    return version


def backup(target=None):
    source = sqlite_path()
    if not source.exists():
        raise click.ClickException(f"There is no database at {source} yet.")
    if target is None:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        target = Path(current_app.instance_path) / "backups" / f"gosmart-{stamp}.db"
    target = Path(target).resolve()
    if target == source:
        raise click.ClickException("The backup cannot overwrite the database itself.")
    if target.exists():
        raise click.ClickException(f"{target} exists; choose another name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target, journal_mode="DELETE")  # one self-contained file
    _check(target)
    return target


def restore(backup_file):
    """Replace the configured database with the backup; the database it replaces is kept beside it."""
    backup_file = Path(backup_file).resolve()
    version = _check(backup_file)
    target = sqlite_path()
    kept = None
    if target.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.before-restore-{stamp}")
        _copy(target, kept, journal_mode="DELETE")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(backup_file, target)
    return target, kept, version


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Copy the SQLite database to PATH (default: instance/backups/gosmart-<UTC time>.db).
    Safe while the application runs."""
    target = backup(path)
    click.echo(f"Backed up {sqlite_path()} to {target}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path, yes):
    """Replace the SQLite database with the backup at PATH. Stop the web server and the
    workers first: what they write meanwhile is lost."""
    target = sqlite_path()
    _check(Path(path))
    if not yes:
        click.confirm(f"Replace {target} with {path}? Stop the web server and the task workers first: "
                      "anything written since the backup is lost (the current file is kept beside it).",
                      abort=True)
    target, kept, version = restore(path)
    click.echo(f"Restored {path} into {target}" + (f"; the database it replaced is {kept}" if kept else ""))
    click.echo(f"The backup is at migration {version or 'unknown'}: run `flask db upgrade` if the code is newer.")


def init_app(app):
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
