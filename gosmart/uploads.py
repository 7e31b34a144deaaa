"""Uploaded files: checked by their content, stored under a generated name, sent back
only as attachments.

The type is decided from the bytes (magic number and a structural check), never from
the filename or the Content-Type the browser sends. Files live in a sub-folder of
UPLOAD_DIR (outside static/), under a random name with the extension of the detected
type; the name the user gave is kept only for display and for the download.
"""
import hashlib
import io
import os
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import abort, current_app, send_from_directory
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from werkzeug.security import safe_join
from wtforms.validators import ValidationError

MB = 1024 * 1024
MAX_IMAGE_PIXELS = 50_000_000  # larger images are decompression bombs for us (logos, scans)
MAX_NAME_LENGTH = 150

# "zip" is for archives the application makes itself (never accepted as an upload).
CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "jpeg": "image/jpeg", "zip": "application/zip"}
EXTENSIONS = {"pdf": ".pdf", "png": ".png", "jpeg": ".jpg", "zip": ".zip"}
TYPE_OF_EXTENSION = {extension: name for name, extension in EXTENSIONS.items()}
# Extensions a display name may already end with for each detected type.
NAME_SUFFIXES = {"pdf": {".pdf"}, "png": {".png"}, "jpeg": {".jpg", ".jpeg"}}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|png|jpg|zip)$")


class UploadRefused(Exception):
    """The file cannot be accepted; str(error) is the message for the user."""


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
    stored_name: str    # generated, e.g. "3f2a….pdf"; the only name used on disk
    original_name: str  # sanitized for display and download, ends with the detected type's extension
    content_type: str   # of the detected type
    size: int
    sha256: str


def store_upload(file_storage, kind, folder):
    """Check `file_storage` (a werkzeug FileStorage) against `kind` and write it to
    UPLOAD_DIR/`folder`. Raises UploadRefused, having written nothing."""
    data, detected = _read_checked(file_storage, kind)
    return store_bytes(data, detected, folder, display_name(file_storage.filename, detected))


def store_bytes(data, detected, folder, original_name=None):
    """Write bytes the application made itself (e.g. a PDF) under a generated name."""
    directory = _folder_path(folder)
    os.makedirs(directory, exist_ok=True)
    stored_name = secrets.token_hex(16) + EXTENSIONS[detected]
    path = os.path.join(directory, stored_name)
    try:
        with open(path, "xb") as out:  # "x": never overwrite, however unlikely a clash
            out.write(data)
    except BaseException:
        _remove(path)  # a half-written file must not survive (disk full, ...)
        raise
    return StoredFile(
        stored_name=stored_name,
        original_name=original_name or stored_name,
        content_type=CONTENT_TYPES[detected],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def check_upload(file_storage, kind):
    """The detected type ("pdf", "png" or "jpeg") of an acceptable file; raises
    UploadRefused otherwise. The stream is rewound so the file can still be stored."""
    return _read_checked(file_storage, kind)[1]


def send_stored_file(folder, stored_name, original_name, content_type=None):
    """A download response for a stored file: always an attachment, never sniffed,
    404 for a missing file or a name that is not one we generated."""
    if not STORED_NAME.match(stored_name or ""):
        abort(404)
    if content_type is None:
        content_type = CONTENT_TYPES[TYPE_OF_EXTENSION[os.path.splitext(stored_name)[1]]]
    response = send_from_directory(_folder_path(folder), stored_name, mimetype=content_type,
                                   as_attachment=True, download_name=original_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # If a browser ever renders the file, it runs nothing and loads nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"  # members' documents
    return response


def stored_path(folder, stored_name):
    """The path of a stored file (for embedding a logo in a PDF, attaching a document
    to an email); None for a name that is not one we generated."""
    if not STORED_NAME.match(stored_name or ""):
        return None
    return Path(_folder_path(folder)) / stored_name


def delete_stored_file(folder, stored_name):
    """Remove a stored file, e.g. when a later step fails. True if it was there."""
    path = stored_path(folder, stored_name)
    return path is not None and _remove(path)


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
