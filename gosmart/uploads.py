"""Stored files: uploads checked by their content, and files the application makes (certificate
PDFs, ZIPs), kept with the rows that refer to them and sent back only as attachments.

The type of an upload is decided from the bytes (magic number and a structural check), never
from the filename or the Content-Type the browser sends. A stored file is named by its content:
"<sha256>.<extension of the detected type>"; the name the user gave is kept only for display
and for the download.

Where the bytes live is one setting, FILE_STORAGE:
- "database" (the default): the `files` table, one row per distinct content. The bytes are
  written in the same transaction as the row that refers to them, so they are committed or
  rolled back together, every host sees them, and a database backup holds them.
- "directory": under UPLOAD_DIR/<folder>/ (development, one host). A file is written under a
  temporary name and moved into place when the transaction commits (removed if it rolls back).

A column that holds stored names says so with `info={"stored_file": "<folder>"}`: a file is
deleted only when no such column refers to it any more, and `flask files import` finds the
files of an instance that kept them in UPLOAD_DIR.
"""
import hashlib
import io
import os
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import click
from flask import abort, current_app, request
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from sqlalchemy import DDL, Integer, LargeBinary, String, event, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.security import safe_join
from werkzeug.wsgi import wrap_file
from wtforms.validators import ValidationError

from .extensions import UTCDateTime, db
from .headers import attachment

MB = 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000  # larger images are decompression bombs for us (logos, scans)
MAX_NAME_LENGTH = 150
CHUNK = 1 * MB  # a download is read from the database and sent this much at a time

# "zip" is for archives the application makes itself (never accepted as an upload).
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "zip": "application/zip"}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "zip": ".zip"}
TYPE_OF_EXTENSION = {extension: name for name, extension in EXTENSIONS.items()}
# Extensions a display name may already end with for each detected type.
NAME_SUFFIXES = {"pdf": {".pdf"}, "png": {".png"}, "jpeg": {".jpg", ".jpeg"}}
# "<sha256>.<ext>"; 32 hex digits: a random name given before files were named by their content.
STORED_NAME = re.compile(r"^(?:[0-9a-f]{64}|[0-9a-f]{32})\.(pdf|png|jpg|zip)$")
CONTENT_NAME = re.compile(r"^([0-9a-f]{64})\.(pdf|png|jpg|zip)$")
STORAGES = ("database", "directory")
PENDING = "gosmart_pending_files"


class UploadRefused(Exception):
    """The file cannot be accepted; str(error) is the message for the user."""


class StoredFileMissing(LookupError):
    """No stored file has this name."""


@dataclass(frozen=True)
class UploadKind:
    """What one purpose accepts: detected types, a size limit and the refusal message."""
    types: frozenset
    max_bytes: int
    wrong_type: str = _l("This type of file is not accepted here.")


DOCUMENT = UploadKind(frozenset({"pdf", "png", "jpeg"}), 10 * MB,
                      _l("This file is not a PDF, PNG or JPEG image."))
LOGO = UploadKind(frozenset({"png", "jpeg"}), 2 * MB, _l("This file is not a PNG or JPEG image."))
MOU_DOCUMENT = UploadKind(frozenset({"pdf"}), 20 * MB, _l("This file is not a PDF."))


@dataclass(frozen=True)
class StoredFile:
    stored_name: str    # "<sha256>.<ext>", the only name used to store it
    original_name: str  # sanitized for display and download, ends with the detected type's extension
    content_type: str   # of the detected type
    size: int
    sha256: str


class FileBlob(db.Model):
    """The bytes of one stored file, named by their SHA-256 (FILE_STORAGE=database). Rows that
    refer to it hold its stored name, "<sha256>.<ext>"; the same content is kept once."""

    __tablename__ = "files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, autoincrement=False)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # never loaded by accident
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(timezone.utc))


# PDFs, images and ZIPs are compressed already: PostgreSQL keeps them as they are, out of line,
# so that a download can read them a slice at a time (substr) without decompressing the whole.
event.listen(FileBlob.__table__, "after_create",
             DDL("ALTER TABLE files ALTER COLUMN data SET STORAGE EXTERNAL").execute_if(dialect="postgresql"))


# --- storing -------------------------------------------------------------------------------

def store_upload(file_storage, kind, folder):
    """Check `file_storage` (a werkzeug FileStorage) against `kind` and store it with the current
    transaction. Raises UploadRefused, having stored nothing."""
    data, detected = _read_checked(file_storage, kind)
    return store_bytes(data, detected, folder, display_name(file_storage.filename, detected))


def store_bytes(data, detected, folder, original_name=None):
    """Store bytes (an upload already checked, or a file the application made) with the current
    transaction: they are kept if it commits, gone if it rolls back. Storing the same bytes
    again gives the same name and keeps them once."""
    _check_folder(folder)
    sha256 = hashlib.sha256(data).hexdigest()
    stored_name = sha256 + EXTENSIONS[detected]
    _storage().put(folder, stored_name, sha256, CONTENT_TYPES[detected], data)
    return StoredFile(stored_name=stored_name, original_name=original_name or stored_name,
                      content_type=CONTENT_TYPES[detected], size=len(data), sha256=sha256)


def check_upload(file_storage, kind):
    """The detected type ("pdf", "png" or "jpeg") of an acceptable file; raises
    UploadRefused otherwise. The stream is rewound so the file can still be stored."""
    return _read_checked(file_storage, kind)[1]


# --- reading and sending -------------------------------------------------------------------

def read_stored_file(folder, stored_name):
    """The bytes of a stored file (a certificate to attach to an email, a logo to put in a PDF,
    a PDF to put in a ZIP). Raises StoredFileMissing."""
    if not STORED_NAME.match(stored_name or ""):
        raise StoredFileMissing(stored_name)
    _check_folder(folder)
    data = _storage().read(folder, stored_name)
    if data is None:
        raise StoredFileMissing(stored_name)
    return data


def send_stored_file(folder, stored_name, original_name, content_type=None):
    """A download response for a stored file, streamed: always an attachment, never sniffed,
    404 for a missing file or a name that is not one we generated."""
    if not STORED_NAME.match(stored_name or ""):
        abort(404)
    _check_folder(folder)
    if content_type is None:
        content_type = CONTENT_TYPES[TYPE_OF_EXTENSION[os.path.splitext(stored_name)[1]]]
    opened = _storage().open(folder, stored_name)
    if opened is None:
        abort(404)
    size, body = opened
    response = current_app.response_class(body, mimetype=content_type, direct_passthrough=True)
    response.content_length = size
    response.headers["Content-Disposition"] = attachment(original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # If a browser ever renders the file, it runs nothing and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"  # members' documents
    return response


def delete_stored_file(folder, stored_name):
    """The row that referred to this file is gone or points elsewhere (changes flushed or not):
    the file goes with the current transaction, unless another row still refers to it (the same
    content stored twice). True if it will be gone."""
    if not STORED_NAME.match(stored_name or ""):
        return False
    _check_folder(folder)
    db.session.flush()
    return _storage().delete(folder, stored_name)


def referring_columns():
    """[(column, folder)] of every column that holds stored names (info={"stored_file": folder})."""
    return [(column, column.info["stored_file"]) for table in db.metadata.sorted_tables
            for column in table.columns if "stored_file" in column.info]


def is_referred_to(stored_name):
    return any(db.session.scalar(select(exists().where(column == stored_name)))
               for column, _folder in referring_columns())


# --- the two storages ----------------------------------------------------------------------

def _storage():
    choice = current_app.config.get("FILE_STORAGE", "database")
    if choice not in STORAGES:
        raise RuntimeError(f"FILE_STORAGE must be one of {', '.join(STORAGES)}, not {choice!r}")
    return DATABASE if choice == "database" else DIRECTORY


def _dialect_insert():
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]


class DatabaseStorage:
    """The `files` table. A name given before files were named by their content (32 hex digits)
    is read from UPLOAD_DIR until `flask files import` has moved it here."""

    def put(self, folder, stored_name, sha256, content_type, data):
        insert = _dialect_insert()(FileBlob).values(sha256=sha256, content_type=content_type, size=len(data),
                                                    data=data)
        # Already there: touch the row all the same, which locks it until this transaction ends,
        # so that a concurrent delete of the same content waits and then sees the new reference.
        db.session.execute(insert.on_conflict_do_update(index_elements=["sha256"],
                                                        set_={"size": insert.excluded.size}))

    def read(self, folder, stored_name):
        sha256 = _content_key(stored_name)
        if sha256 is None:
            return DIRECTORY.read(folder, stored_name)
        return db.session.scalar(select(FileBlob.data).where(FileBlob.sha256 == sha256))

    def open(self, folder, stored_name):
        """(size, an iterator of its bytes) or None. The first slice comes with the size in one
        query; the rest, for files over CHUNK, one slice per query on a connection borrowed for
        that query only: a 20 MB file is never held whole, nor a connection for a slow client."""
        sha256 = _content_key(stored_name)
        if sha256 is None:
            return DIRECTORY.open(folder, stored_name)
        row = db.session.execute(select(FileBlob.size, func.substr(FileBlob.data, 1, CHUNK))
                                 .where(FileBlob.sha256 == sha256)).first()
        if row is None:
            return None
        size, first = row[0], bytes(row[1] or b"")
        return size, self._slices(db.engine, sha256, size, first)

    @staticmethod
    def _slices(engine, sha256, size, first):
        yield first
        offset = len(first)
        while offset < size:
            with engine.connect() as connection:
                piece = connection.execute(select(func.substr(FileBlob.data, offset + 1, CHUNK))
                                           .where(FileBlob.sha256 == sha256)).scalar()
            if not piece:
                return  # deleted meanwhile: the client sees a short download, never another file
            yield bytes(piece)
            offset += len(piece)

    def delete(self, folder, stored_name):
        sha256 = _content_key(stored_name)
        if sha256 is None:
            return DIRECTORY.delete(folder, stored_name)
        # Lock the row first: a transaction storing the same content meanwhile holds it (put), so
        # this waits for it and then sees its reference.
        if db.session.scalar(select(FileBlob.sha256).where(FileBlob.sha256 == sha256).with_for_update()) is None:
            return False
        if is_referred_to(stored_name):
            return False
        db.session.execute(FileBlob.__table__.delete().where(FileBlob.sha256 == sha256))
        return True


class DirectoryStorage:
    """UPLOAD_DIR/<folder>/<stored name>. Written under a temporary name, moved into place when
    the transaction commits; a deletion happens when it commits."""

    def put(self, folder, stored_name, sha256, content_type, data):
        db.session.connection()  # the transaction whose commit or rollback decides, begun if it was not
        directory = Path(_folder_path(folder))
        directory.mkdir(parents=True, exist_ok=True)
        temporary = directory / f".pending-{secrets.token_hex(8)}"
        try:
            with open(temporary, "xb") as out:
                out.write(data)
        except BaseException:
            _remove(temporary)  # a half-written file must not survive (disk full, ...)
            raise
        _pending().append(("put", directory / stored_name, temporary, db.session().get_nested_transaction()))

    def _pending_path(self, folder, stored_name):
        """The file this transaction stored or deleted under that name: (True, path or None) if any."""
        target = Path(_folder_path(folder)) / stored_name
        for operation, path, temporary, _savepoint in reversed(db.session.info.get(PENDING, [])):
            if path == target:
                return True, (temporary if operation == "put" else None)
        return False, target

    def read(self, folder, stored_name):
        pending, path = self._pending_path(folder, stored_name)
        try:
            return path.read_bytes() if path else None
        except FileNotFoundError:
            return None

    def open(self, folder, stored_name):
        pending, path = self._pending_path(folder, stored_name)
        try:
            handle = open(path, "rb") if path else None
        except FileNotFoundError:
            return None
        if handle is None:
            return None
        return os.fstat(handle.fileno()).st_size, wrap_file(request.environ, handle)

    def delete(self, folder, stored_name):
        pending, path = self._pending_path(folder, stored_name)
        if path is None or not path.exists() or is_referred_to(stored_name):
            return False
        _pending().append(("delete", Path(_folder_path(folder)) / stored_name, None,
                           db.session().get_nested_transaction()))
        return True


DATABASE, DIRECTORY = DatabaseStorage(), DirectoryStorage()


def _content_key(stored_name):
    match = CONTENT_NAME.match(stored_name)
    return match.group(1) if match else None


def _pending():
    return db.session.info.setdefault(PENDING, [])


@event.listens_for(Session, "after_commit")
def _apply_pending_files(session):
    if session.in_nested_transaction():
        return  # a savepoint released: its files wait for the transaction's own commit
    for operation, path, temporary, _savepoint in session.info.pop(PENDING, []):
        if operation == "put":
            os.replace(temporary, path)
        else:
            _remove(path)


@event.listens_for(Session, "after_soft_rollback")
def _discard_pending_files(session, previous_transaction):
    pending = session.info.get(PENDING)
    if not pending:
        return
    if previous_transaction.nested:
        undone = [p for p in pending if _within(p[3], previous_transaction)]
    else:
        undone = list(pending)
    for entry in undone:
        pending.remove(entry)
        if entry[0] == "put":
            _remove(entry[2])


def _within(savepoint, rolled_back):
    while savepoint is not None:
        if savepoint is rolled_back:
            return True
        savepoint = savepoint.parent
    return False


def display_name(filename, detected):
    """The user's filename made safe to show and to send back: no path, no control or
    invisible characters (a right-to-left override can disguise "gpj.exe"), bounded
    length, ending with the extension of the detected type. Non-Latin names stay readable;
    send_file encodes them in the RFC 5987 filename*."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]  # "../../etc/passwd", "C:\\x\\y.pdf"
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")  # no hidden ".name", no trailing dots
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in NAME_SUFFIXES[detected]:
        # The saved file must open as what it is: "page.html" that is a PDF becomes "page.html.pdf".
        stem, suffix = name, EXTENSIONS[detected]
    stem = stem[:MAX_NAME_LENGTH - len(suffix)].rstrip(" .") or _("document")
    return stem + suffix


class AcceptedUpload:
    """WTForms validator: the field's file (or each file of a MultipleFileField) is of
    `kind`. Lets a form show the message beside the field before anything is stored."""

    def __init__(self, kind):
        self.kind = kind

    def __call__(self, form, field):
        files = field.data if isinstance(field.data, list) else [field.data]
        for file_storage in files:
            if file_storage:  # an empty file input is for DataRequired to judge
                try:
                    check_upload(file_storage, self.kind)
                except UploadRefused as refused:
                    raise ValidationError(str(refused)) from None


# --- reading and detecting -------------------------------------------------------------

def _read_checked(file_storage, kind):
    if not file_storage or not file_storage.filename:
        raise UploadRefused(_("No file was chosen."))
    stream = file_storage.stream
    _rewind(stream)
    data = _read_at_most(stream, kind.max_bytes + 1)  # a huge upload is never read fully
    _rewind(stream)
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > kind.max_bytes:
        raise UploadRefused(_("The file is larger than %(size)s.", size=_size(kind.max_bytes)))
    detected = _detect(data)
    if detected not in kind.types:
        raise UploadRefused(str(kind.wrong_type))
    if detected == "pdf":
        _check_pdf(data)
    if detected in {"png", "jpeg"}:
        _check_image(data, detected)
    return data, detected


def _read_at_most(stream, limit):
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(64 * 1024, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _rewind(stream):
    try:
        stream.seek(0)
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass  # a one-way stream: read it as it comes


PDF_TRAILER = re.compile(rb"startxref\s+\d+\s+%%EOF[\s\x00]*$")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _detect(data):
    """"pdf", "png", "jpeg" or None. HTML, SVG, executables and anything else give None."""
    if data.startswith(b"%PDF-") and PDF_TRAILER.search(data[-1024:]):
        return "pdf"
    # IHDR must be the first chunk, 13 bytes long.
    if data.startswith(PNG_SIGNATURE) and data[8:16] == b"\x00\x00\x00\x0dIHDR":
        return "png"
    # End of image marker last; only padding may follow (no HTML or ZIP tacked on).
    if data.startswith(b"\xff\xd8\xff") and data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        return "jpeg"
    return None


# --- PDFs: parsed, every object walked, active content refused ---------------------------------
# The raw bytes are searched for the names below (escapes such as /J#61vaScript decoded), and
# the file is parsed with pypdf: every object the cross-reference tables list, those packed in
# compressed object streams included, is walked for them. A PDF pypdf cannot read is refused
# too. (gosmart never renders an uploaded PDF: they are only ever sent back as attachments.)

PDF_NAME = re.compile(rb"/([^\x00\t\n\f\r ()<>\[\]{}/%]+)")
PDF_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# What makes a PDF act, by what it is in the refusal's words: dictionary keys, and the values of
# /S (an action's type), /Type and /Subtype (an annotation's or a stream's kind). (/OpenAction
# alone is no more than the page a PDF opens at; it is the action's /S that tells.)
PDF_ACTIVE_KEYS = {
    "JS": "scripts", "JavaScript": "scripts", "AA": "automatic actions", "URI": "links",
    "EF": "embedded files", "EmbeddedFiles": "embedded files", "XFA": "form submissions", "RichMedia": "multimedia",
}
PDF_ACTIVE_KINDS = {
    "JavaScript": "scripts", "URI": "links", "GoToR": "links", "GoToE": "links", "SubmitForm": "form submissions",
    "ImportData": "form submissions", "Launch": "launch actions", "EmbeddedFile": "embedded files",
    "FileAttachment": "embedded files", "RichMedia": "multimedia", "RichMediaExecute": "multimedia",
    "Rendition": "multimedia", "Movie": "multimedia", "Sound": "multimedia", "Screen": "multimedia",
}
PDF_ACTIVE = {**PDF_ACTIVE_KINDS, **PDF_ACTIVE_KEYS}
PDF_STREAM_DATA = re.compile(rb"(?<=stream)(\r\n|\n|\r).*?(?=endstream)", re.DOTALL)
PDF_ACTIVE_WORDS = {"scripts": _l("scripts"), "automatic actions": _l("automatic actions"),
                    "links": _l("links"), "form submissions": _l("form submissions"),
                    "launch actions": _l("launch actions"), "embedded files": _l("embedded files"),
                    "multimedia": _l("multimedia")}
PDF_MAX_ITEMS = 2_000_000  # names, numbers, strings… walked; more is refused (a file built to be slow)


def _check_pdf(data):
    """Refuse (UploadRefused) a PDF with active content, or one that cannot be read."""
    found = _pdf_raw_names(data) | _pdf_parsed_names(data)
    if found:
        kinds = sorted({PDF_ACTIVE[name] for name in found})
        raise UploadRefused(_("This PDF contains %(what)s; please upload a plain PDF (for example, print it to "
                              "PDF, then check that nothing is missing).",
                              what=", ".join(str(PDF_ACTIVE_WORDS[k]) for k in kinds)))


def _pdf_raw_names(data):
    """Active names written in the file as it is, outside stream data (which may be anything,
    "/JS" by chance in a compressed image too): objects the tables may not list are seen here."""
    found = set()
    for match in PDF_NAME.finditer(PDF_STREAM_DATA.sub(b"\n", data)):
        name = match.group(1)
        if b"#" in name:
            name = PDF_HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        name = name.decode("latin-1")
        if name in PDF_ACTIVE:
            found.add(name)
    return found


def _pdf_parsed_names(data):
    """The active names in every object of the parsed file; UploadRefused if it cannot be parsed."""
    unreadable = UploadRefused(_("This PDF cannot be read: it is damaged, incomplete or protected by a password. "
                                 "Please save or print it to PDF again and upload the new file."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise unreadable
            len(reader.pages)  # the page tree must be readable
            objects = [reader.trailer]
            numbers = {(number, generation) for generation, table in reader.xref.items() for number in table}
            numbers |= {(number, 0) for number in reader.xref_objStm}
            for number, generation in sorted(numbers):
                objects.append(reader.get_object(IndirectObject(number, generation, reader)))
            return _names_in(objects)
    except UploadRefused:
        raise
    except Exception:  # pypdf raises many kinds of errors (and RecursionError, ValueError…) for a broken file
        raise unreadable from None


def _names_in(objects):
    """Active names among the keys and the /S, /Type, /Subtype values of `objects` and of every
    dictionary and array inside them (references are not followed: each object is in the list)."""
    found, stack, walked = set(), list(objects), 0
    while stack:
        item = stack.pop()
        walked += 1
        if walked > PDF_MAX_ITEMS:
            raise ValueError("too many items")
        if isinstance(item, IndirectObject) or item is None:
            continue
        if isinstance(item, DictionaryObject):  # a stream's dictionary too
            for key, value in item.items():
                if key[1:] in PDF_ACTIVE_KEYS:
                    found.add(key[1:])
                if key in ("/S", "/Type", "/Subtype") and isinstance(value, NameObject) and value[1:] in PDF_ACTIVE_KINDS:
                    found.add(value[1:])
                stack.append(value)
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return found


def _check_image(data, detected):
    """Pillow reads the header (size) and checks the structure (PNG chunk CRCs) without
    decoding the pixels."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[detected.upper()]) as image:
                too_large = image.width * image.height > MAX_IMAGE_PIXELS
                if not too_large:
                    image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        too_large = True
    except Exception:  # Pillow raises many kinds of errors for a broken file
        raise UploadRefused(_("This image is damaged or incomplete.")) from None
    if too_large:
        raise UploadRefused(_("The image is too large: at most %(count)d megapixels.",
                              count=MAX_IMAGE_PIXELS // 1_000_000))


def _size(n):
    if n % MB == 0:
        return f"{n // MB} MB"
    if n % 1024 == 0:
        return f"{n // 1024} KB"
    return _("%(count)d bytes", count=n)


def _check_folder(folder):
    _folder_path(folder)


# --- `flask files` -------------------------------------------------------------------------

files_cli = AppGroup("files", help="Stored files (uploads, certificate PDFs, ZIPs).")


@files_cli.command("import")
@click.option("--remove", is_flag=True, help="Remove each file from UPLOAD_DIR once it is in the database.")
def import_command(remove):
    """Move the files an instance kept in UPLOAD_DIR into the database (FILE_STORAGE=database).

    Idempotent: run it once after upgrading; run it again, it finds nothing more to do. Each
    file is stored and the rows that name it are renamed to its content's name in one
    transaction; a file missing from UPLOAD_DIR is listed and its rows are left as they are."""
    if current_app.config.get("FILE_STORAGE", "database") != "database":
        raise click.ClickException("FILE_STORAGE is not \"database\": the files stay in UPLOAD_DIR.")
    moved, missing = import_from_directory(remove=remove)
    click.echo(f"{moved} file(s) moved into the database from {current_app.config['UPLOAD_DIR']}.")
    for folder, name in missing:
        click.echo(f"missing: {folder}/{name} (named in the database, not found in UPLOAD_DIR)", err=True)
    if missing:
        raise click.ClickException(f"{len(missing)} file(s) named in the database are not in UPLOAD_DIR.")


def import_from_directory(remove=False):
    """(number moved, [(folder, name) missing]); see `flask files import`."""
    moved, missing = 0, []
    for column, folder in referring_columns():
        names = db.session.scalars(select(column).where(column.is_not(None)).distinct()).all()
        for name in names:
            if not STORED_NAME.match(name) or _stored_in_database(name):
                continue
            path = Path(_folder_path(folder)) / name
            if not path.is_file():
                missing.append((folder, name))
                continue
            stored = store_bytes(path.read_bytes(), TYPE_OF_EXTENSION[path.suffix], folder)
            if stored.stored_name != name:
                db.session.execute(update(column.table).where(column == name).values({column.name: stored.stored_name}))
            db.session.commit()
            moved += 1
            if remove:
                _remove(path)
    return moved, missing


def _stored_in_database(stored_name):
    sha256 = _content_key(stored_name)
    return sha256 is not None and db.session.scalar(
        select(exists().where(FileBlob.sha256 == sha256)))


def _folder_path(folder):
    """UPLOAD_DIR/folder; `folder` comes from our code ("applications", "logos"), but
    a path that would leave UPLOAD_DIR is refused all the same."""
    path = safe_join(str(current_app.config["UPLOAD_DIR"]), folder)
    if path is None or not folder:
        raise ValueError(f"not an upload folder: {folder!r}")
    return path


def _remove(path):
    try:
        os.remove(path)
        return True
    except FileNotFoundError:
        return False
