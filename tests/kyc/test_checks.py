"""Upload checks for identity documents: the attack set is refused with its own message, good files
come out clean. Every file is generated here; nothing binary is committed."""
import hashlib
import io
import random
import re
import struct
import time
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageChops, ImageCms, ImageDraw, ImageFilter, ImageFont, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from kyc.checks import CheckedUpload, UploadRejected, check_upload

GPS_IFD = 0x8825
ORIENTATION = 0x0112


# --- generators -----------------------------------------------------------------------------------


def document_image(size=(1600, 1000), *, seed=0, noise=10) -> Image.Image:
    """Something like a photographed ID: a frame, a photo block, lines of text, fine lines, sensor noise."""
    rng = random.Random(seed)
    w, h = size
    im = Image.new("RGB", size, (246, 244, 238))
    draw = ImageDraw.Draw(im)
    unit = h // 50
    font = ImageFont.load_default(size=max(10, int(unit * 1.6)))
    draw.rectangle((unit, unit, w - unit, h - unit), outline=(40, 60, 120), width=max(2, unit // 3))
    draw.rectangle((2 * unit, 3 * unit, 2 * unit + w // 4, 3 * unit + h // 2), fill=(180, 150, 130))
    y = 3 * unit
    while y < h - 4 * unit:
        words = " ".join("".join(rng.choice("ABCDEFGHKLMNPRSTUVWXYZ0123456789") for _ in range(rng.randint(3, 9))) for _ in range(6))
        draw.text((4 * unit + w // 4, y), words, fill=(20, 20, 30), font=font)
        y += int(unit * 2.4)
    for x in range(0, w, max(4, unit // 2)):
        draw.line((x, h - 3 * unit, x + unit // 3, h - 2 * unit), fill=(60, 60, 60), width=1)
    if noise:
        grain = Image.effect_noise(size, noise)
        im = ImageChops.add(im, Image.merge("RGB", (grain, grain, grain)), scale=1.0, offset=-128)
    return im


def jpeg_bytes(im=None, **save) -> bytes:
    out = io.BytesIO()
    (im or document_image((800, 600))).save(out, "JPEG", quality=90, **save)
    return out.getvalue()


def png_bytes(im=None, **save) -> bytes:
    out = io.BytesIO()
    (im or document_image((800, 600))).save(out, "PNG", **save)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(side=20_000) -> bytes:
    """A valid single-colour 1-bit PNG of side x side pixels: about 50 KB, 400 megapixels."""
    row = b"\x00" + bytes((side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def raw_pdf(*, catalog=b"", page=b"", extra=(), header=b"") -> bytes:
    """A one-page PDF written by hand (correct cross-reference table), so names can be hex-escaped."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] " + page + b" >>",
        *extra,
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + header)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pypdf_bytes(pages=3, *, metadata=None, build=None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if metadata:
        writer.add_metadata(metadata)
    if build:
        build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_segments(data: bytes) -> list[int]:
    """Marker bytes of the header segments, up to the first scan."""
    markers, i = [], 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        markers.append(data[i + 1])
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return markers


def jpeg_header(data: bytes) -> bytes:
    """The bytes before the first scan: where a JPEG keeps its metadata. The entropy-coded data after it
    is noise that spells any short string now and then (b"GPS" about once in 250 images of this size)."""
    i = 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return data[:i]


def png_chunk_types(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kinds.append(data[pos + 4:pos + 8])
        pos += 12 + length
    return kinds


def rejected(data: bytes, name="document.jpg") -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        check_upload(io.BytesIO(data), filename=name)
    return caught.value


# --- the attack set: each refused with its own code and message -----------------------------------

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", HTML)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    return pypdf_bytes(1, build=lambda w: w.encrypt(user_password="secret", owner_password="owner"))


ATTACKS = {
    # name: (bytes factory, expected code)
    "html renamed .jpg": (lambda: HTML, "markup"),
    "svg renamed .jpg": (lambda: SVG, "markup"),
    "utf-16 html renamed .jpg": (lambda: "\ufeff<html><script>alert(1)</script></html>".encode("utf-16-le"), "markup"),
    "gif renamed .jpg": (lambda: b"GIF89a" + bytes(64), "type"),
    "zip renamed .pdf": (zip_bytes, "type"),
    "jpeg with html appended": (lambda: jpeg_bytes() + HTML, "polyglot"),
    "jpeg with zip appended": (lambda: jpeg_bytes() + zip_bytes(), "polyglot"),
    "jpeg with script in a comment": (lambda: jpeg_bytes(comment=b"<script>alert(1)</script>"), "polyglot"),
    "png with script after IEND": (lambda: png_bytes() + b"<script>alert(1)</script>", "polyglot"),
    "png with html in a text chunk": (
        lambda: png_bytes(pnginfo=_pnginfo(("Comment", "<html><body>hi</body></html>"))), "polyglot"),
    "pdf with html inside": (lambda: raw_pdf(header=b"%<html><script>alert(1)</script></html>\n"), "polyglot"),
    "pdf with zip appended": (lambda: pypdf_bytes(1) + zip_bytes(), "polyglot"),
    "truncated jpeg": (lambda: jpeg_bytes()[:20_000], "truncated"),
    "truncated png": (lambda: png_bytes()[:-5000], "truncated"),
    "pdf cut before %%EOF": (lambda: pypdf_bytes(2)[:-200], "truncated"),
    "0-byte file": (lambda: b"", "empty"),
    "decompression bomb png": (bomb_png, "bomb"),
    "30000 x 100 png": (lambda: png_bytes(Image.new("L", (30_000, 100), 255)), "dimensions"),
    "tiny jpeg": (lambda: jpeg_bytes(document_image((320, 200))), "too_small"),
    "jpeg that is only SOI and EOI": (lambda: b"\xff\xd8\xff\xd9", "corrupt"),
    "pdf with no pages tree": (lambda: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "corrupt"),
    "encrypted pdf": (encrypted_pdf, "pdf_encrypted"),
    "pdf over the page limit": (lambda: pypdf_bytes(11), "pdf_pages"),
    "pdf OpenAction javascript": (lambda: raw_pdf(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "pdf_script"),
    "pdf hex-escaped /J#61vaScript": (lambda: raw_pdf(catalog=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"), "pdf_script"),
    "pdf javascript link annotation": (
        lambda: raw_pdf(page=b"/Annots [4 0 R]", extra=[
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /Java#53cript /J#53 (app.alert(1)) >> >>"]),
        "pdf_script"),
    "pdf javascript: URI link": (
        lambda: raw_pdf(page=b"/Annots [4 0 R]", extra=[
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /URI /URI (javascript:alert(1)) >> >>"]),
        "pdf_script"),
    "pdf javascript: URI hidden by a tab": (
        lambda: raw_pdf(page=b"/Annots [4 0 R]", extra=[
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /URI /URI (java\tscript:alert(1)) >> >>"]),
        "pdf_script"),
    "pdf page open action (AA)": (lambda: raw_pdf(page=b"/AA << /O << /S /J#61vaScript /J#53 (x) >> >>"), "pdf_script"),
    "pdf Launch action": (lambda: raw_pdf(catalog=b"/OpenAction << /S /L#61unch /F (calc.exe) >>"), "pdf_script"),
    "pdf SubmitForm": (lambda: raw_pdf(catalog=b"/OpenAction << /S /SubmitForm /F (https://evil.example/) >>"), "pdf_script"),
    "pdf XFA form": (lambda: raw_pdf(catalog=b"/AcroForm << /Fields [] /XFA (x) >>"), "pdf_script"),
    "pdf document javascript (name tree)": (lambda: pypdf_bytes(1, build=_document_js), "pdf_script"),
    "pdf embedded file": (lambda: pypdf_bytes(1, build=lambda w: w.add_attachment("invoice.exe", b"MZ...")), "pdf_embedded"),
    "pdf file attachment annotation": (
        lambda: raw_pdf(page=b"/Annots [4 0 R]", extra=[
            b"<< /Type /Annot /Subtype /FileAtt#61chment /Rect [0 0 9 9] /FS << /Type /Filespec /F (a.txt) >> >>"]),
        "pdf_embedded"),
}


def _document_js(writer):
    """What `add_js` did before pypdf 7: /Names /JavaScript in the catalog, the action an indirect object."""
    action = writer._add_object(DictionaryObject({
        NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}))
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("doc-open"), action])})
    writer._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): writer._add_object(names)})


def _pnginfo(*texts):
    info = PngImagePlugin.PngInfo()
    for key, value in texts:
        info.add_text(key, value)
    return info


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_refused_with_its_own_code_and_a_message(name):
    make, code = ATTACKS[name]
    started = time.perf_counter()
    refusal = rejected(make())
    assert refusal.code == code
    assert str(refusal.message).strip()
    assert time.perf_counter() - started < 2


def test_pdf_too_complex_to_walk_is_refused(settings):
    settings.KYC_PDF_MAX_OBJECTS = 3
    assert rejected(pypdf_bytes(2)).code == "pdf_complex"


def test_every_code_has_its_own_message(settings):
    messages = {}
    for make, code in ATTACKS.values():
        messages.setdefault(code, set()).add(str(rejected(make()).message))
    messages["too_large"] = {str(rejected_obj(_Unreadable(11 * 1024 * 1024)).message)}
    settings.KYC_PDF_MAX_OBJECTS = 3
    messages["pdf_complex"] = {str(rejected(pypdf_bytes(2)).message)}
    assert all(len(texts) == 1 for texts in messages.values()), "one message per code"
    texts = [next(iter(t)) for t in messages.values()]
    assert len(set(texts)) == len(texts), "no two codes share a message"
    assert len(messages) == 15


class _Unreadable(io.RawIOBase):
    """An upload whose size is known; reading it fails the test."""

    def __init__(self, size):
        self.size = size

    def read(self, *args):
        raise AssertionError("the file was read")

    readinto = read


def test_oversized_file_is_refused_from_its_size_without_reading_it():
    refusal = rejected_obj(_Unreadable(11 * 1024 * 1024))
    assert refusal.code == "too_large"
    assert "10 MB" in str(refusal.message)


def rejected_obj(fileobj) -> UploadRejected:
    with pytest.raises(UploadRejected) as caught:
        check_upload(fileobj)
    return caught.value


class _Counting(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.read_total = 0

    def read(self, n=-1):
        chunk = super().read(n)
        self.read_total += len(chunk)
        return chunk


def test_a_stream_without_size_is_read_no_further_than_the_limit_plus_one(settings):
    settings.KYC_MAX_UPLOAD_BYTES = 50_000
    stream = _Counting(jpeg_bytes(document_image((1600, 1200))) + bytes(100_000))
    assert refusal_code(stream) == "too_large"
    assert stream.read_total == 50_001


def refusal_code(fileobj) -> str:
    return rejected_obj(fileobj).code


def test_empty_django_upload_is_refused():
    assert refusal_code(SimpleUploadedFile("passport.jpg", b"", content_type="image/jpeg")) == "empty"


def test_bomb_is_refused_from_the_header_before_decoding():
    data = bomb_png()
    assert len(data) < 200_000
    started = time.perf_counter()
    assert rejected(data, "scan.png").code == "bomb"
    assert time.perf_counter() - started < 0.5  # decoding 400 megapixels would take seconds


def test_pillow_decompression_bomb_warning_is_a_refusal(monkeypatch, settings):
    settings.KYC_MAX_IMAGE_PIXELS = 10**9  # our own limit out of the way: Pillow's warning must still refuse
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300_000)  # 800 x 600 = 480,000: a warning, not yet an error
    assert rejected(jpeg_bytes()).code == "bomb"


# --- good files come out clean ---------------------------------------------------------------------


def gps_exif(orientation=1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretCamMaker"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 5.5), 3: "E", 4: (121.0, 28.0, 3.25)}
    return exif


def test_jpeg_with_gps_exif_comes_out_with_no_metadata_and_upright():
    im = document_image((800, 600))
    im.paste((255, 0, 0), (0, 0, 100, 100))  # top-left as stored
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = jpeg_bytes(im, exif=gps_exif(orientation=6), icc_profile=icc, xmp=b"<x:xmpmeta>secret-xmp</x:xmpmeta>")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the GPS really is in the upload

    checked = check_upload(SimpleUploadedFile("me.jpg", data, content_type="image/jpeg"))

    assert (checked.content_type, checked.extension, checked.clean_content_type) == ("image/jpeg", "jpg", "image/jpeg")
    assert checked.original == data
    clean = Image.open(io.BytesIO(checked.clean))
    assert clean.format == "JPEG"
    assert len(clean.getexif()) == 0 and clean.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in clean.info and "icc_profile" not in clean.info and "xmp" not in clean.info
    assert set(jpeg_segments(checked.clean)) == {0xE0, 0xDB, 0xC0, 0xC4}  # JFIF, tables, frame: no APP1/APP2/COM
    for secret in (b"Exif", b"GPS", b"SecretCamMaker", b"secret-xmp", b"ICC_PROFILE"):
        assert secret in data or secret == b"GPS"
        assert secret not in jpeg_header(checked.clean)
        if len(secret) >= 6:  # long enough that the scan data cannot spell it by chance
            assert secret not in checked.clean
    # orientation 6 = rotate 90 clockwise for display: 800x600 stored becomes 600x800, red corner top-right
    assert (checked.width, checked.height) == (600, 800) == clean.size
    r, g, b = clean.convert("RGB").getpixel((600 - 30, 30))
    assert r > 200 and g < 60 and b < 60


def test_png_text_chunks_icc_and_exif_are_stripped():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    info = _pnginfo(("Author", "Jane Secret"))
    info.add_itxt("Description", "home address: 1 Secret Road", lang="en")
    info.add_text("Software", "x" * 40, zip=True)
    data = png_bytes(pnginfo=info, icc_profile=icc, exif=gps_exif())
    assert {b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf"} <= set(png_chunk_types(data))

    checked = check_upload(io.BytesIO(data), filename="scan.png")

    assert (checked.content_type, checked.extension) == ("image/png", "png")
    assert set(png_chunk_types(checked.clean)) == {b"IHDR", b"IDAT", b"IEND"}
    assert b"Secret" not in checked.clean
    assert Image.open(io.BytesIO(checked.clean)).info == {}


def test_transparent_png_becomes_white_not_black():
    im = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    checked = check_upload(io.BytesIO(png_bytes(im)))
    assert Image.open(io.BytesIO(checked.clean)).getpixel((10, 10)) == (255, 255, 255)


def test_sha256_and_size_are_of_the_original_bytes():
    data = jpeg_bytes()
    checked = check_upload(io.BytesIO(data))
    assert isinstance(checked, CheckedUpload)
    assert checked.sha256 == hashlib.sha256(data).hexdigest()
    assert checked.size == len(data)
    assert checked.pages == 1


def test_type_comes_from_the_bytes_not_the_name_or_browser():
    upload = SimpleUploadedFile("statement.pdf", jpeg_bytes(), content_type="application/pdf")
    checked = check_upload(upload, filename="statement.pdf")
    assert (checked.content_type, checked.extension) == ("image/jpeg", "jpg")


def test_padding_after_the_image_is_tolerated():
    assert check_upload(io.BytesIO(jpeg_bytes() + b"\x00" * 2048)).content_type == "image/jpeg"
    assert check_upload(io.BytesIO(png_bytes() + b"\r\n")).content_type == "image/png"


def test_multi_picture_jpeg_from_a_phone_passes():
    """iPhones and cameras append a second JPEG (gain map, preview) declared in an MPF segment."""
    out = io.BytesIO()
    document_image((800, 600)).save(out, "MPO", save_all=True, append_images=[document_image((400, 300), seed=1)])
    checked = check_upload(io.BytesIO(out.getvalue()))
    assert (checked.content_type, checked.width, checked.height) == ("image/jpeg", 800, 600)


def test_sharp_photo_is_not_blurry_and_the_blurred_one_is():
    sharp = document_image((1600, 1000))
    blurred = sharp.filter(ImageFilter.GaussianBlur(4))
    sharp_checked = check_upload(io.BytesIO(jpeg_bytes(sharp)))
    blurred_checked = check_upload(io.BytesIO(jpeg_bytes(blurred)))
    assert not sharp_checked.blurry
    assert blurred_checked.blurry
    assert sharp_checked.blur_score > 10 * blurred_checked.blur_score


def test_blur_threshold_comes_from_settings(settings):
    settings.KYC_BLUR_THRESHOLD = 10**9
    assert check_upload(io.BytesIO(jpeg_bytes())).blurry


def test_multi_page_pdf_passes_with_pages_counted_and_metadata_gone():
    data = pypdf_bytes(3, metadata={"/Author": "Jane Secretperson", "/Title": "Statement 4242"})
    assert PdfReader(io.BytesIO(data)).metadata["/Author"] == "Jane Secretperson"

    checked = check_upload(SimpleUploadedFile("statement.jpg", data, content_type="image/jpeg"))

    assert (checked.content_type, checked.extension, checked.clean_content_type) == ("application/pdf", "pdf", "application/pdf")
    assert checked.pages == 3
    assert (checked.width, checked.height, checked.blur_score, checked.blurry) == (None, None, None, False)
    clean = PdfReader(io.BytesIO(checked.clean))
    assert len(clean.pages) == 3
    assert clean.metadata is None
    assert b"Secretperson" not in checked.clean and b"4242" not in checked.clean


def test_pdf_with_an_ordinary_link_passes_and_the_link_is_dropped_from_the_clean_copy():
    data = raw_pdf(page=b"/Annots [4 0 R]", extra=[
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /URI /URI (https://phish.example/) >> >>"])
    checked = check_upload(io.BytesIO(data))
    assert checked.pages == 1
    assert b"phish.example" not in checked.clean


def test_pdf_that_opens_without_a_password_passes():
    """Some banks add an owner password (no editing) to statements; anyone can open them."""
    data = pypdf_bytes(2, build=lambda w: w.encrypt(user_password="", owner_password="bank", algorithm="AES-128"))
    checked = check_upload(io.BytesIO(data))
    assert checked.pages == 2
    assert not PdfReader(io.BytesIO(checked.clean)).is_encrypted


def test_pdf_at_the_page_limit_passes():
    assert check_upload(io.BytesIO(pypdf_bytes(10))).pages == 10


@pytest.mark.parametrize("name", [n for n, (_, code) in ATTACKS.items() if code in ("pdf_script", "pdf_embedded")])
def test_the_object_walk_alone_finds_scripts_and_attachments(name, monkeypatch):
    """The raw-byte scan is a second net; the walk over pypdf's decoded objects must catch everything by itself."""
    from kyc import checks

    never = re.compile(rb"(?!)")
    monkeypatch.setattr(checks, "_RAW_SCRIPT", never)
    monkeypatch.setattr(checks, "_RAW_EMBEDDED", never)
    make, code = ATTACKS[name]
    assert rejected(make()).code == code


def test_jpeg_with_restart_markers_passes():
    out = io.BytesIO()
    document_image((800, 600)).save(out, "JPEG", restart_marker_blocks=2)
    assert b"\xff\xd0" in out.getvalue()
    assert check_upload(io.BytesIO(out.getvalue())).width == 800


# --- what phones append to ordinary photos --------------------------------------------------------

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + bytes(range(256)) * 8
XMP_MOTION = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/" GCamera:MotionPhoto="1"'
    ' GCamera:MotionPhotoVersion="1"/></rdf:RDF></x:xmpmeta>'
)


def test_google_motion_photo_declared_in_xmp_is_accepted():
    photo = jpeg_bytes(document_image(), xmp=XMP_MOTION.encode()) + MP4
    checked = check_upload(io.BytesIO(photo))
    assert checked.content_type == "image/jpeg" and b"ftyp" not in checked.clean


def test_video_after_a_photo_that_does_not_declare_it_is_a_polyglot():
    assert rejected(jpeg_bytes(document_image()) + MP4).code == "polyglot"


def test_samsung_sef_trailer_is_accepted():
    entries = b"\x00\x00\x01\x0a" + struct.pack("<II", 64, 32)
    sef = b"MotionPhoto_Data" + MP4 + b"SEFH" + struct.pack("<II", 107, 1) + entries + struct.pack("<I", 24) + b"SEFT"
    photo = jpeg_bytes(document_image()) + sef
    assert check_upload(io.BytesIO(photo)).content_type == "image/jpeg"


def test_markup_inside_a_declared_motion_photo_is_still_refused():
    photo = jpeg_bytes(document_image(), xmp=XMP_MOTION.encode()) + MP4 + b"<script>alert(1)</script>"
    assert rejected(photo).code == "polyglot"
