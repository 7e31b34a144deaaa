"""`flask certificates backfill`: the certificates of members and honorary members who have none.

Certificates are issued when membership or honour is granted; members granted before
certificates existed (or loaded from elsewhere) get theirs from this command, never from a
download (no GET writes). It lives here, not in gosmart.certificates, which knows no domain."""
import click
from flask.cli import AppGroup

from . import services

certificates_cli = AppGroup("certificates", help="Certificates.")


@certificates_cli.command("backfill")
def backfill_command():
    """Issue the membership and honorary certificates that were never issued (idempotent; a
    revoked certificate stays revoked)."""
    issued = services.backfill_certificates()
    for certificate in issued:
        click.echo(f"issued {certificate.serial}: {certificate.kind_label} of {certificate.holder_name}")
    click.echo(f"{len(issued)} certificate(s) issued.")
