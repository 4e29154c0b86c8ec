"""Checks an identity-document upload before anything is stored, and makes the copy reviewers see.

`check_upload(fileobj)` either raises `UploadRejected(code, message)` (the message is for the
customer: what is wrong and what to do) or returns a `CheckedUpload` with the original bytes and a
clean copy: images re-encoded from their pixels only (no EXIF, GPS, ICC, XMP or text chunks), PDFs
rewritten with their pages only. Cheap checks run first (size, then magic bytes, then structure), so
a hostile file is refused before any decoder sees it. The type is decided by content, never by the
file name or the browser's content type.
"""
import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000  # a 12-24 MP phone photo passes; Pillow's own default is 89 MP
DEFAULT_MAX_IMAGE_SIDE = 12_000
DEFAULT_MIN_IMAGE_SIDES = (480, 640)  # (shorter side, longer side)
DEFAULT_PDF_MAX_PAGES = 10
DEFAULT_PDF_MAX_OBJECTS = 100_000  # containers visited while looking for scripts; a 10-page statement has a few hundred
# Variance of the Laplacian at 1024 px on the longest side, calibrated on generated documents (text,
# frame, fine lines, sensor noise; tests and bench): sharp 5,000-19,000; after GaussianBlur(radius 4)
# 1-4 at 800-1600 px wide (radius 2: 30 at 800, 180 at 1600). A 4000 x 3000 photo needs radius 6-8
# (90 at 6) to fall below: its radius 4 is about one pixel at 1024 and the text stays legible. The
# usual OpenCV bar of 100 sits in the gap. Noise added after the blur raises the score (a known limit
# of the measure), so this is a warning for the customer, never a refusal.
DEFAULT_BLUR_THRESHOLD = 100.0
BLUR_LONGEST_SIDE = 1024

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"

logger = logging.getLogger(__name__)


class UploadRejected(Exception):
    """The upload itself is unacceptable; `message` is lazy and written for the customer."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    sha256: str
    size: int
    original: bytes
    clean: bytes
    clean_content_type: str
    width: int | None
    height: int | None
    pages: int
    blur_score: float | None
    blurry: bool


MESSAGES = {
    "empty": _("The file is empty. Choose the photo or PDF again and upload it once more."),
    "type": _("We accept only photos (JPEG or PNG) and PDF files. Save your document in one of these formats and upload it again."),
    "markup": _(
        "This file is a web page or a drawing (HTML or SVG), not a photo or scan of your document. "
        "Upload a photo (JPEG or PNG) or a PDF of the document itself."
    ),
    "polyglot": _(
        "This file contains hidden extra data besides the picture or document, so we cannot accept it. "
        "Save it again as a new photo or PDF (for example, take a screenshot or export a copy) and upload that."
    ),
    "truncated": _("The file is incomplete: the upload or an earlier download was cut off. Upload the complete file again."),
    "corrupt": _("We could not open this file; it may be damaged. Save the photo or PDF again, or take a new one, and upload it."),
    "bomb": _(
        "This image has far more pixels than a photo of a document needs, so we cannot process it. "
        "Upload a normal photo from your phone or camera, or a scan at 300 dpi."
    ),
    "dimensions": _(
        "This image is unusually long or wide for a document. Upload a normal photo or scan that shows the whole document."
    ),
    "pdf_encrypted": _(
        "This PDF is protected by a password, so our reviewers cannot open it. "
        "Upload a copy without a password (for example, download the statement again or use \"Print to PDF\")."
    ),
    "pdf_script": _(
        "This PDF contains interactive content (scripts, actions or forms that run code), which we cannot accept. "
        "Upload a plain copy: use \"Print to PDF\", or take photos of the pages."
    ),
    "pdf_embedded": _(
        "This PDF has other files attached inside it. Upload a PDF without attachments, or upload each document on its own."
    ),
    "pdf_complex": _(
        "This PDF is too complex for us to check. Use \"Print to PDF\" to make a simpler copy, or take photos of the pages."
    ),
}


def _reject(code: str, message=None):
    raise UploadRejected(code, message if message is not None else MESSAGES[code])


def _limits() -> dict:
    min_sides = sorted(getattr(settings, "KYC_MIN_IMAGE_SIDES", DEFAULT_MIN_IMAGE_SIDES))
    return {
        "max_bytes": int(getattr(settings, "KYC_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)),
        "max_pixels": int(getattr(settings, "KYC_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)),
        "max_side": int(getattr(settings, "KYC_MAX_IMAGE_SIDE", DEFAULT_MAX_IMAGE_SIDE)),
        "min_short": int(min_sides[0]),
        "min_long": int(min_sides[-1]),
        "max_pages": int(getattr(settings, "KYC_PDF_MAX_PAGES", DEFAULT_PDF_MAX_PAGES)),
        "max_objects": int(getattr(settings, "KYC_PDF_MAX_OBJECTS", DEFAULT_PDF_MAX_OBJECTS)),
        "blur_threshold": float(getattr(settings, "KYC_BLUR_THRESHOLD", DEFAULT_BLUR_THRESHOLD)),
    }


def check_upload(fileobj, *, filename: str = "") -> CheckedUpload:
    """Check one uploaded file and return it with its clean copy, or raise UploadRejected.

    `filename` is accepted for the caller's logs only: the type comes from the bytes.
    Reads at most KYC_MAX_UPLOAD_BYTES + 1 bytes, and nothing when `fileobj.size` is already too big.
    """
    limits = _limits()
    data = _read_capped(fileobj, limits["max_bytes"])
    kind = _sniff(data)
    if kind == JPEG:
        _jpeg_structure(data)
        _no_foreign_markers(data, _IMAGE_MARKERS)
        return _checked_image(data, "JPEG", limits)
    if kind == PNG:
        _png_structure(data)
        _no_foreign_markers(data, _IMAGE_MARKERS)
        return _checked_image(data, "PNG", limits)
    _pdf_structure(data)
    return _checked_pdf(data, limits)


# --- reading and sniffing ------------------------------------------------------------------------


def _read_capped(fileobj, limit: int) -> bytes:
    too_large = format_lazy(
        _("The file is larger than {limit} MB. Upload a smaller photo or scan (for example, a phone photo or a PDF scanned at 300 dpi)."),
        limit=round(limit / (1024 * 1024), 1) if limit % (1024 * 1024) else limit // (1024 * 1024),
    )
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        if size > limit:
            _reject("too_large", too_large)
        if size == 0:
            _reject("empty")
    try:
        if fileobj.seekable():
            fileobj.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
    parts, remaining = [], limit + 1
    while remaining > 0:
        chunk = fileobj.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(data) > limit:
        _reject("too_large", too_large)
    if not data:
        _reject("empty")
    return bytes(data)


def _sniff(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"%PDF-"):
        return PDF
    head = data[:1024]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            head = head[len(bom):]
            break
    head = head.replace(b"\x00", b"").lstrip()  # UTF-16 text becomes ASCII-ish once the zero bytes go
    if head.startswith(b"<"):  # HTML, SVG, XML: what a browser would sniff as a page
        _reject("markup")
    _reject("type")


# Formats hidden inside an image or PDF, matched on a lower-cased copy (one pass each; a single
# IGNORECASE alternation is ten times slower on a 5 MB photo). Long literals only, so random
# compressed bytes never match: a 4-byte marker would turn up in about one 5 MB photo in a thousand.
_HTML_MARKER = re.compile(rb"<(?:script|html|iframe|body|!doctype\s+html|\?php|svg[\s/>])")
_ZIP_MARKER = re.compile(rb"pk\x03\x04[\x0a-\x3f]\x00")  # local file header, plausible "version needed"
_IMAGE_MARKERS = (_HTML_MARKER, _ZIP_MARKER, re.compile(rb"javascript:"), re.compile(rb"%pdf-"))
_PDF_MARKERS = (_HTML_MARKER, _ZIP_MARKER)  # a javascript: link is pdf_script, found by the walk
_PADDING = re.compile(rb"[\x00\xff\s]*\Z")


def _no_foreign_markers(data: bytes, patterns) -> None:
    lowered = data.lower()
    if any(pattern.search(lowered) for pattern in patterns):
        _reject("polyglot")


# --- structure, before any decoder runs -----------------------------------------------------------

_JPEG_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # first marker after entropy-coded data


def _jpeg_end(data: bytes, start: int = 0) -> tuple[int, bool]:
    """Offset just after the EOI of the JPEG stream at `start`, and whether it declares MPF images."""
    n, i, mpf = len(data), start + 2, False
    while True:
        if i >= n:
            _reject("truncated")
        if data[i] != 0xFF:
            _reject("corrupt")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            _reject("truncated")
        marker = data[i]
        i += 1
        if marker == 0xD9:
            return i, mpf
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue
        if i + 2 > n:
            _reject("truncated")
        length = int.from_bytes(data[i:i + 2], "big")
        if length < 2:
            _reject("corrupt")
        if marker == 0xE2 and data[i + 2:i + 6] == b"MPF\x00":
            mpf = True
        i += length
        if marker == 0xDA:
            found = _JPEG_SCAN_END.search(data, i)
            if found is None:
                _reject("truncated")
            i = found.start()


def _jpeg_structure(data: bytes) -> None:
    end, mpf = _jpeg_end(data)
    # Multi-Picture files (iPhone gain maps, camera previews) append further JPEGs after the first EOI.
    while mpf:
        gap = data[end:end + 4096]
        nxt = end + len(gap) - len(gap.lstrip(b"\x00 \t\r\n"))
        if not data.startswith(b"\xff\xd8\xff", nxt):
            break
        end, _ = _jpeg_end(data, nxt)
    if not _PADDING.match(data, end) and not _phone_trailer(data, end):
        _reject("polyglot")


def _phone_trailer(data: bytes, end: int) -> bool:
    """Data phones append to ordinary photos, accepted after the picture (the marker scan still runs
    over the whole file): a motion-photo video declared in the photo's own XMP (Google
    "MotionPhoto"/"MicroVideo", an MP4 starting right after the picture), or Samsung's SEF trailer
    (a directory "SEFH" and the closing "SEFT")."""
    tail = data[end:]
    head = data[:min(end, 262_144)]
    if tail[4:8] == b"ftyp" and (b"MotionPhoto" in head or b"MicroVideo" in head):
        return True
    if tail.startswith(b"MotionPhoto_Data") or tail.endswith(b"SEFT"):
        return data.endswith(b"SEFT") and b"SEFH" in tail[-65_536:]
    return False


def _png_structure(data: bytes) -> None:
    n, pos = len(data), 8
    while True:
        if pos + 12 > n:
            _reject("truncated")
        length = int.from_bytes(data[pos:pos + 4], "big")
        ctype = data[pos + 4:pos + 8]
        if length > 0x7FFFFFFF or not ctype.isalpha():
            _reject("corrupt")
        pos += 12 + length
        if pos > n:
            _reject("truncated")
        if ctype == b"IEND":
            break
    if not _PADDING.match(data, pos):
        _reject("polyglot")


def _pdf_structure(data: bytes) -> None:
    eof = data.rfind(b"%%EOF")
    if eof < 0:
        _reject("truncated")
    if not _PADDING.match(data, eof + 5):
        _reject("polyglot")


# --- images ---------------------------------------------------------------------------------------


def _checked_image(data: bytes, fmt: str, limits: dict) -> CheckedUpload:
    try:
        with warnings.catch_warnings():
            # Pillow warns (and only errors past twice its limit) on huge images: every warning is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=[fmt])
            if im.format not in (fmt, "MPO"):
                _reject("type")
            width, height = im.size
            if width * height > limits["max_pixels"]:
                _reject("bomb")
            if max(width, height) > limits["max_side"]:
                _reject("dimensions")
            if min(width, height) < limits["min_short"] or max(width, height) < limits["min_long"]:
                _reject("too_small", _too_small_message(limits))
            im.load()  # the one full decode; a cut-off stream raises here
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _reject("bomb")
    except OSError as exc:
        _reject("truncated" if "truncated" in str(exc) else "corrupt")
    except Exception as exc:  # noqa: BLE001 - any other decoder failure is an unreadable file
        logger.info("kyc upload: image decoder failed: %r", exc)
        _reject("corrupt")

    try:
        clean_im = _pixels_only(im)
    except Exception as exc:  # noqa: BLE001
        logger.info("kyc upload: image conversion failed: %r", exc)
        _reject("corrupt")
    finally:
        im.close()
    out = io.BytesIO()
    if fmt == "JPEG":
        clean_im.save(out, "JPEG", quality=90, optimize=False)
    else:
        clean_im.save(out, "PNG", optimize=False, compress_level=6)
    blur = blur_score(clean_im)
    return CheckedUpload(
        content_type=JPEG if fmt == "JPEG" else PNG,
        extension="jpg" if fmt == "JPEG" else "png",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        original=data,
        clean=out.getvalue(),
        clean_content_type=JPEG if fmt == "JPEG" else PNG,
        width=clean_im.width,
        height=clean_im.height,
        pages=1,
        blur_score=blur,
        blurry=blur < limits["blur_threshold"],
    )


def _too_small_message(limits: dict):
    return format_lazy(
        _(
            "This image is too small to read: it needs at least {long} x {short} pixels. "
            "Take a closer photo of the document with your phone's main camera, or scan it at 300 dpi."
        ),
        long=limits["min_long"],
        short=limits["min_short"],
    )


def _pixels_only(im: Image.Image) -> Image.Image:
    """A new image holding only the (upright) pixels: nothing of `im.info` comes along."""
    try:
        ImageOps.exif_transpose(im, in_place=True)
    except Exception as exc:  # noqa: BLE001 - a mangled EXIF block means no usable orientation, not a bad photo
        logger.info("kyc upload: EXIF orientation ignored: %r", exc)
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if "A" in im.getbands() or (im.mode == "P" and "transparency" in im.info):
        # Transparent areas become white, as on paper, not black.
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        im = background
    mode = "L" if im.mode in ("1", "L", "LA") else "RGB"
    if im.mode != mode:
        im = im.convert(mode)  # CMYK and palette images too; the ICC profile is dropped, not parsed
    clean = Image.new(mode, im.size)
    clean.paste(im)
    return clean


def blur_score(im: Image.Image) -> float:
    """Variance of the Laplacian of a grayscale copy scaled to BLUR_LONGEST_SIDE on its longest side.

    Pillow clips a filtered L image to 0..255, so the Laplacian is taken as 4 x (mean of the four
    neighbours - pixel), with the difference halved and offset by 128 to stay inside the range.
    """
    gray = im.convert("L")
    longest = max(gray.size)
    if longest > BLUR_LONGEST_SIDE:
        scale = BLUR_LONGEST_SIDE / longest
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.BOX)
    neighbours = gray.filter(ImageFilter.Kernel((3, 3), (0, 1, 0, 1, 0, 1, 0, 1, 0), scale=4))
    half = ImageChops.subtract(neighbours, gray, scale=2.0, offset=128)
    half = half.crop((1, 1, half.width - 1, half.height - 1))  # the filter leaves the border unfiltered
    # Laplacian = 4 * (neighbours - gray) = 8 * (half - 128)
    return round(ImageStat.Stat(half).var[0] * 64, 1)


# --- PDF ------------------------------------------------------------------------------------------

# Names (as keys or values, after pypdf has decoded #xx escapes) that run code or submit data.
_SCRIPT_NAMES = frozenset(
    {"/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/RichMedia", "/RichMediaExecute", "/XFA", "/GoToE"}
)
_EMBEDDED_NAMES = frozenset({"/EmbeddedFiles", "/EmbeddedFile", "/FileAttachment", "/EF"})
# The same, found in the raw bytes: catches objects pypdf's repaired cross-reference table misses.
_RAW_SCRIPT = re.compile(rb"/(?:JavaScript|Launch|SubmitForm|ImportData|RichMedia)(?![A-Za-z0-9])")
_RAW_EMBEDDED = re.compile(rb"/(?:EmbeddedFiles?|FileAttachment)(?![A-Za-z0-9])")


def _checked_pdf(data: bytes, limits: dict) -> CheckedUpload:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import DependencyError, FileNotDecryptedError
    from pypdf.generic import NameObject

    if _RAW_SCRIPT.search(data):
        _reject("pdf_script")
    if _RAW_EMBEDDED.search(data):
        _reject("pdf_embedded")
    _no_foreign_markers(data, _PDF_MARKERS)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)  # strict refuses too many real statements
        if reader.is_encrypted:
            # Owner-password-only files (anyone can open them) are fine once decrypted; others are not.
            try:
                if not reader.decrypt(""):
                    _reject("pdf_encrypted")
            except (FileNotDecryptedError, NotImplementedError, DependencyError):
                _reject("pdf_encrypted")
        pages = len(reader.pages)
    except UploadRejected:
        raise
    except RecursionError:
        _reject("pdf_complex")
    except Exception as exc:  # noqa: BLE001 - PdfReadError and whatever else a broken file makes pypdf raise
        logger.info("kyc upload: unreadable PDF: %r", exc)
        _reject("corrupt")
    if pages == 0:
        _reject("corrupt")
    if pages > limits["max_pages"]:
        _reject("pdf_pages", _pdf_pages_message(limits))
    _pdf_no_active_content(reader, limits["max_objects"])

    try:
        writer = PdfWriter()
        for page in reader.pages:
            added = writer.add_page(page)
            for key in ("/Metadata", "/PieceInfo", "/AA", "/Thumb"):
                added.pop(NameObject(key), None)
            _drop_links(added)
        writer.metadata = None  # no /Info at all, not even pypdf's /Producer
        out = io.BytesIO()
        writer.write(out)
    except RecursionError:
        _reject("pdf_complex")
    except Exception as exc:  # noqa: BLE001
        logger.info("kyc upload: PDF rewrite failed: %r", exc)
        _reject("corrupt")
    return CheckedUpload(
        content_type=PDF,
        extension="pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        original=data,
        clean=out.getvalue(),
        clean_content_type=PDF,
        width=None,
        height=None,
        pages=pages,
        blur_score=None,
        blurry=False,
    )


def _pdf_pages_message(limits: dict):
    return format_lazy(
        _("This PDF has more than {limit} pages. Upload only the pages we ask for (at most {limit}), or split it into separate files."),
        limit=limits["max_pages"],
    )


def _pdf_no_active_content(reader, max_objects: int) -> None:
    """Walk every object reachable from the trailer (pages, annotations, name trees, forms)."""
    from pypdf.generic import ArrayObject, ByteStringObject, DictionaryObject, IndirectObject, NameObject, TextStringObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                obj = obj.get_object()
            except Exception:  # noqa: BLE001 - a dangling reference is not active content
                continue
        visited += 1
        if visited > max_objects:
            _reject("pdf_complex")
        if isinstance(obj, DictionaryObject):
            for key, value in obj.items():
                _pdf_name_verdict(key)
                if isinstance(value, NameObject):
                    _pdf_name_verdict(value)
                elif key == "/URI" and isinstance(value, (TextStringObject, ByteStringObject)):
                    _pdf_uri_verdict(value)
                elif isinstance(value, (DictionaryObject, ArrayObject, IndirectObject)):
                    stack.append(value)
        elif isinstance(obj, ArrayObject):
            for value in obj:
                if isinstance(value, NameObject):
                    _pdf_name_verdict(value)
                elif isinstance(value, (DictionaryObject, ArrayObject, IndirectObject)):
                    stack.append(value)


_URI_IGNORED = re.compile(r"[\x00-\x20]+")  # browsers drop tabs and newlines inside a URL scheme


def _pdf_uri_verdict(value) -> None:
    text = bytes(value).decode("latin-1") if isinstance(value, bytes) else str(value)
    if _URI_IGNORED.sub("", text).lower().startswith(("javascript:", "vbscript:", "data:")):
        _reject("pdf_script")


def _pdf_name_verdict(name) -> None:
    if name in _SCRIPT_NAMES:
        _reject("pdf_script")
    if name in _EMBEDDED_NAMES:
        _reject("pdf_embedded")


def _drop_links(page) -> None:
    """Reviewers get the page and its visible annotations, without links that would take them elsewhere."""
    from pypdf.generic import ArrayObject, NameObject

    annots = page.get("/Annots")
    if annots is None:
        return
    kept = ArrayObject(a for a in annots.get_object() if a.get_object().get("/Subtype") != "/Link")
    if kept:
        page[NameObject("/Annots")] = kept
    else:
        del page["/Annots"]
