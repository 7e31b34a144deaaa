"""Time the badge sheet of an assembly of N confirmed delegates (names in many scripts).

    .venv/bin/python -m bench.badges 200 1000

Builds a throwaway SQLite database, then renders the sheet the way the task worker does
(`gosmart.assemblies.badges.sheet_pdf`; before it, `services.badges_pdf` in the request) and
prints wall-clock seconds, CPU seconds of this process (user + system), the pages, the size and
the process's peak memory, one line per size."""
import argparse
import os
import resource
import secrets
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone

NAMES = ["Mei-Ling Chen", "陳美玲", "สมชาย ใจดี", "김민준", "佐藤 花子", "محمد الأحمد", "דוד כהן",
         "राहुल शर्मा", "Анна Иванова", "Γιώργος Παπαδόπουλος", "Jean-Baptiste Dupont", "Priya Raman"]
ORGANIZATIONS = [("Taipei City", "臺北市"), ("Chiang Mai", "เชียงใหม่"), ("Seoul", "서울특별시"),
                 ("Okinawa", "沖縄県"), ("Dubai", "دبي"), ("Tel Aviv", "תל אביב"), ("Pune", "पुणे"),
                 ("Kazan", "Казань"), ("Athens", "Αθήνα"), ("Amsterdam", None)]
ROLES = ["head_of_delegation", "delegate", "delegate", "observer", "speaker", "guest"]


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime


_built = iter(range(1, 1_000_000))


def build(n):
    from gosmart.assemblies.models import Assembly, Registration
    from gosmart.extensions import db
    from gosmart.members.models import Category, Organization

    now = datetime.now(timezone.utc)
    run = next(_built)  # the same size may be measured again
    assembly = Assembly(kind="general_assembly", title=f"General Assembly of {n}", timezone="Asia/Taipei",
                        starts_at=now + timedelta(days=20), ends_at=now + timedelta(days=20, hours=8),
                        venue="TICC", city="Taipei", capacity=n, registration_opens_at=now - timedelta(days=1),
                        registration_closes_at=now + timedelta(days=10), delegate_quota=5, confirmed_count=n)
    db.session.add(assembly)
    organizations = []
    for i in range(max(1, n // 3)):
        name, local = ORGANIZATIONS[i % len(ORGANIZATIONS)]
        organizations.append(Organization(name=f"{name} {i}", name_local=local, country="TW",
                                          category=Category.CITY, membership_number=f"GS-{run}-{i:04d}"))
    db.session.add_all(organizations)
    db.session.flush()
    db.session.add_all(Registration(
        assembly_id=assembly.id, organization_id=organizations[(i // 3) % len(organizations)].id if i % 7 else None,
        name=f"{NAMES[i % len(NAMES)]} {i}", email=f"d{run}-{i}@example.org", role=ROLES[i % len(ROLES)],
        state="confirmed", checkin_token=secrets.token_urlsafe(24)) for i in range(n))
    db.session.commit()
    return assembly


def render(assembly):
    """The sheet as the task worker makes it (the registrations loaded, the chunks, the join)."""
    try:
        from gosmart.assemblies import badges
    except ImportError:  # before the worker made the sheets: one render in the web request
        from gosmart.assemblies import services
        return services.badges_pdf(assembly)
    return badges.sheet_pdf(assembly, badges.confirmed(assembly))


def measure(n):
    from gosmart.extensions import db

    assembly = build(n)
    db.session.expire_all()
    wall, cpu = time.perf_counter(), _cpu()
    pdf = render(assembly)
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    from pypdf import PdfReader
    import io
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return wall, cpu, pages, len(pdf)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 1000])
    args = parser.parse_args(argv)
    from config import TestingConfig
    from gosmart import create_app
    from gosmart.extensions import db

    with tempfile.TemporaryDirectory() as directory:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{os.path.join(directory, 'badges.db')}"
            INSTANCE_DIR = directory
            UPLOAD_DIR = os.path.join(directory, "uploads")
            PDF_RENDER_TIMEOUT = 3600  # measured, not limited

        app = create_app(Config)
        with app.app_context(), app.test_request_context():
            db.create_all()
            # Warm up (imports, fonts) so that the figures are the sheet's own.
            measure(2)
            for n in args.sizes:
                wall, cpu, pages, size = measure(n)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(f"{n:5d} badges: {wall:6.1f} s wall, {cpu:6.1f} CPU-s, {pages} pages, {size / 1e6:.1f} MB "
                      f"(peak RSS of the process so far {peak:.0f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
