"""Generated document photos (each one unique, so duplicate checks do not trip), reviewers, and a case with details."""
import datetime as dt
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from kyc import services
from tests.factories import AgentFactory, CustomerFactory

_counter = iter(range(1, 10**9))


def document_jpeg(*, size=(1200, 800), exif=None, seed=None) -> bytes:
    """A sharp 'document': text-like strokes and boxes on paper, unique per call."""
    seed = next(_counter) if seed is None else seed
    rng = random.Random(seed)
    image = Image.new("RGB", size, (245, 243, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, size[0] - 20, size[1] - 20], outline=(30, 30, 30), width=4)
    for row in range(60, size[1] - 60, 28):
        x = 60
        while x < size[0] - 120:
            w = rng.randint(8, 40)
            draw.rectangle([x, row, x + w, row + 12], fill=(rng.randint(0, 60),) * 3)
            x += w + rng.randint(6, 14)
    draw.text((40, 30), f"ID {seed}", fill=(0, 0, 0))
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, "JPEG", quality=92, **kwargs)
    return out.getvalue()


def gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"
    gps = {1: "N", 2: (31.0, 14.0, 22.5), 3: "E", 4: (121.0, 28.0, 10.0)}
    exif[0x8825] = gps
    return exif.tobytes()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def fill_details(case, user):
    return services.case_details_update(
        case, actor=user, legal_name="Zhang San", date_of_birth=dt.date(1990, 5, 17), address="1 Century Ave, Pudong, Shanghai", country="China"
    )


def submitted(case, user, *, kind="identity", doc_type="passport", pages=1):
    document = services.document_start(case, actor=user, kind=kind, doc_type=doc_type)
    for _ in range(pages):
        services.document_page_add(document, actor=user, upload=upload(document_jpeg()))
    return services.document_submit(document, actor=user)


@pytest.fixture
def profile(db):
    return CustomerFactory(language="en")


@pytest.fixture
def case(profile):
    case = services.case_get_or_create(profile)
    return fill_details(case, profile.user)


@pytest.fixture
def reviewer(db):
    return AgentFactory(user__roles=("agent", "document_reviewer")).user


@pytest.fixture
def second_reviewer(db):
    return AgentFactory(user__roles=("agent", "document_reviewer")).user


def private_files_in(settings) -> list:
    root = settings.PRIVATE_STORAGE_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
