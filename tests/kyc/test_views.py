"""The customer's verification pages, the file view, and the reviewers' admin: what each person may see and do."""
import datetime as dt
import io

import pytest
from django.urls import reverse
from PIL import Image

from kyc import services
from kyc.models import Document, DocumentPage
from support.models import AuditEvent
from tests.factories import PASSWORD, CustomerFactory
from tests.kyc.conftest import document_jpeg, fill_details, gps_exif, private_files_in, submitted, upload

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def test_customer_uploads_front_and_back_from_the_page_and_submits(client, profile, settings):
    login(client, profile.user)
    page = client.get("/verification/")
    assert page.status_code == 200 and "Not verified" in page.content.decode()

    saved = client.post(
        "/verification/",
        {"details-legal_name": "Zhang San", "details-date_of_birth": "1990-05-17", "details-address": "1 Century Ave", "details-country": "China"},
    )
    assert saved.status_code == 302
    started = client.post("/verification/start/", {"kind": "identity", "doc_type": "id_card"})
    document = Document.objects.get()
    assert started["Location"] == f"/verification/documents/{document.public_id}/"

    for side in ("front.jpg", "back.jpg"):
        response = client.post(f"/verification/documents/{document.public_id}/pages/", {"file": upload(document_jpeg(), side)})
        assert response.status_code == 302
    detail = client.get(f"/verification/documents/{document.public_id}/").content.decode()
    assert "front.jpg" in detail and "back.jpg" in detail and 'capture="environment"' in detail

    client.post(f"/verification/documents/{document.public_id}/submit/")
    document.refresh_from_db()
    assert document.status == Document.Status.PENDING
    home = client.get("/verification/").content.decode()
    assert "Pending review" in home and "result expected by" in home


def test_rejected_upload_shows_why_and_stores_nothing(client, case, settings):
    login(client, case.customer.user)
    document = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="passport")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = client.post(f"/verification/documents/{document.public_id}/pages/", {"file": upload(svg, "passport.jpg")})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert private_files_in(settings) == [] and not DocumentPage.objects.exists()


def test_blurry_photo_gets_a_retake_warning_before_submission(client, case):
    from PIL import ImageFilter

    login(client, case.customer.user)
    document = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="passport")
    blurred = Image.open(io.BytesIO(document_jpeg())).filter(ImageFilter.GaussianBlur(6))
    out = io.BytesIO()
    blurred.save(out, "JPEG")
    response = client.post(f"/verification/documents/{document.public_id}/pages/", {"file": upload(out.getvalue())}, follow=True)
    text = response.content.decode()
    assert "looks blurry" in text and "Remove and retake" in text
    assert document.pages.get().blurry


def test_rejection_reason_and_how_to_fix_it_are_shown_to_the_customer(client, case, reviewer):
    document = submitted(case, case.customer.user, kind="address", doc_type="utility_bill")
    services.document_reject(document, reviewer=reviewer, reason="address_too_old")
    login(client, case.customer.user)
    text = client.get("/verification/").content.decode()
    assert "Action needed" in text and "older than 3 months" in text and "issued within the last 3 months" in text
    assert "Upload again" in text


def test_file_is_served_as_a_private_download_without_metadata_and_audited(client, case):
    user = case.customer.user
    document = services.document_start(case, actor=user, kind="identity", doc_type="passport")
    page = services.document_page_add(document, actor=user, upload=upload(document_jpeg(exif=gps_exif())))
    login(client, user)
    response = client.get(f"/verification/files/{page.public_id}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    assert not Image.open(io.BytesIO(response.content)).getexif()
    assert AuditEvent.objects.filter(verb="kyc.page_viewed", actor=user, data__page_id=str(page.public_id)).count() == 1
    # The original is for reviewers only.
    assert client.get(f"/verification/files/{page.public_id}/original/").status_code == 404


def test_another_customers_documents_and_files_are_404(client, case):
    document = submitted(case, case.customer.user)
    page = document.pages.get()
    stranger = CustomerFactory().user
    login(client, stranger)
    urls = [
        f"/verification/documents/{document.public_id}/",
        f"/verification/files/{page.public_id}/",
        f"/verification/files/{page.public_id}/original/",
        f"/api/kyc/documents/{document.public_id}/",
        f"/api/kyc/files/{page.public_id}/",
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    for url in [
        f"/verification/documents/{document.public_id}/pages/",
        f"/verification/documents/{document.public_id}/submit/",
        f"/verification/documents/{document.public_id}/pages/{page.public_id}/remove/",
        f"/api/kyc/documents/{document.public_id}/submit/",
        f"/api/kyc/documents/{document.public_id}/pages/",
    ]:
        assert client.post(url, {"file": upload(document_jpeg())}).status_code == 404, url
    assert client.delete(f"/api/kyc/documents/{document.public_id}/pages/{page.public_id}/").status_code == 404
    assert client.get("/verification/files/not-a-uuid/").status_code == 404
    assert not AuditEvent.objects.filter(verb="kyc.page_viewed").exists()


def test_agent_without_the_review_permission_is_refused(client, case, agent):
    document = submitted(case, case.customer.user)
    page = document.pages.get()
    login(client, agent)
    assert client.get(f"/verification/files/{page.public_id}/").status_code == 404
    assert client.get(f"/api/kyc/files/{page.public_id}/").status_code == 404
    assert client.get("/admin/kyc/document/").status_code == 403
    assert client.get(f"/admin/kyc/document/{document.pk}/change/").status_code == 403
    assert client.get("/verification/").status_code == 403  # the customer page is for customers


def test_anonymous_is_sent_to_log_in(client, case):
    document = submitted(case, case.customer.user)
    response = client.get(f"/verification/files/{document.pages.get().public_id}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/kyc/").status_code in (401, 403)


def test_review_queue_is_ordered_by_due_time_vip_first(client, case, reviewer):
    standard = submitted(case, case.customer.user)
    vip_profile = CustomerFactory(tier="vip")
    vip = submitted(fill_details(services.case_get_or_create(vip_profile), vip_profile.user), vip_profile.user)
    login(client, reviewer)
    response = client.get("/admin/kyc/document/")
    assert response.status_code == 200
    rows = [d.pk for d in response.context["cl"].result_list]
    assert rows == [vip.pk, standard.pk]


def test_review_page_shows_pages_beside_registered_details_and_records_the_decision(client, case, reviewer):
    document = submitted(case, case.customer.user, kind="address", doc_type="bank_statement")
    login(client, reviewer)
    page = client.get(f"/admin/kyc/document/{document.pk}/change/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Zhang San" in text and "1 Century Ave" in text and f"/verification/files/{document.pages.get().public_id}/" in text
    assert AuditEvent.objects.filter(verb="kyc.review_opened", actor=reviewer).exists()

    old = (dt.date.today() - dt.timedelta(days=120)).isoformat()
    refused = client.post(f"/admin/kyc/document/{document.pk}/change/", {"decision": "approve", "issue_date": old})
    assert refused.status_code == 200 and "reject it as too old" in refused.content.decode()
    done = client.post(
        f"/admin/kyc/document/{document.pk}/change/",
        {"decision": "reject", "reason": "address_too_old", "issue_date": old, "note": "Please send this month's bill."},
    )
    assert done.status_code == 302
    document.refresh_from_db()
    assert document.status == Document.Status.REJECTED and document.rejection_reason == "address_too_old"

    # The reviewer may open the file (audited).
    file_response = client.get(f"/verification/files/{document.pages.get().public_id}/original/")
    assert file_response.status_code == 200
    assert AuditEvent.objects.filter(verb="kyc.page_viewed", actor=reviewer, data__copy="original").exists()


def test_reviewer_cannot_open_their_own_document_for_review(client, reviewer):
    own_profile = CustomerFactory(user=reviewer)
    own = submitted(fill_details(services.case_get_or_create(own_profile), reviewer), reviewer)
    login(client, reviewer)
    assert own.pk not in [d.pk for d in client.get("/admin/kyc/document/").context["cl"].result_list]
    page = client.get(f"/admin/kyc/document/{own.pk}/change/")
    assert "cannot review documents of your own account" in page.content.decode()
    client.post(f"/admin/kyc/document/{own.pk}/change/", {"decision": "approve"})
    own.refresh_from_db()
    assert own.status == Document.Status.PENDING


def test_queue_page_query_count_does_not_grow_with_rows(client, reviewer, django_assert_max_num_queries):
    for _ in range(6):
        profile = CustomerFactory()
        submitted(fill_details(services.case_get_or_create(profile), profile.user), profile.user)
    login(client, reviewer)
    with django_assert_max_num_queries(12):
        assert client.get("/admin/kyc/document/").status_code == 200


def test_end_to_end_three_documents_two_reviewers_four_eyes_verified(client, profile, reviewer, second_reviewer, settings):
    """Customer registers details and uploads all three kinds on the pages; two reviewers approve in the admin."""
    settings.KYC_FOUR_EYES = True
    customer = login(client, profile.user)
    customer.post(
        "/verification/",
        {"details-legal_name": "Zhang San", "details-date_of_birth": "1990-05-17", "details-address": "1 Century Ave", "details-country": "China"},
    )
    for kind, doc_type, pages in [("identity", "id_card", 2), ("address", "utility_bill", 1), ("payment", "card_photo", 1)]:
        customer.post("/verification/start/", {"kind": kind, "doc_type": doc_type})
        document = Document.objects.get(kind=kind)
        for _ in range(pages):
            customer.post(f"/verification/documents/{document.public_id}/pages/", {"file": upload(document_jpeg())})
        customer.post(f"/verification/documents/{document.public_id}/submit/")
    assert "Pending review" in customer.get("/verification/").content.decode()
    customer.logout()

    issue_date = (dt.date.today() - dt.timedelta(days=10)).isoformat()
    for who in (reviewer, second_reviewer):
        staff = login(client, who)
        for document in Document.objects.order_by("pk"):
            response = staff.post(f"/admin/kyc/document/{document.pk}/change/", {"decision": "approve", "issue_date": issue_date})
            assert response.status_code == 302, response.content.decode()[:2000]
        staff.logout()

    assert set(Document.objects.values_list("status", flat=True)) == {"approved"}
    login(client, profile.user)
    text = client.get("/verification/").content.decode()
    assert 'data-case-status="verified"' in text
    assert AuditEvent.objects.filter(verb="kyc.first_approval").count() == 3
    assert AuditEvent.objects.filter(verb="kyc.approved").count() == 3


def test_retention_task_runs_through_celery(case, settings, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from kyc.tasks import kyc_retention_purge

    settings.KYC_RETENTION_DAYS = 1
    submitted(case, case.customer.user)
    case.customer.account_closed_at = timezone.now() - dt.timedelta(days=2)
    case.customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert kyc_retention_purge.delay().get() == 1
    assert private_files_in(settings) == []


def test_oversized_upload_is_refused_without_being_spooled(client, case, settings, monkeypatch):
    """Past the limit the body is counted, not stored; the customer reads the size message."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    settings.KYC_MAX_UPLOAD_BYTES = 200_000
    spooled = []
    original = TemporaryFileUploadHandler.receive_data_chunk
    monkeypatch.setattr(
        TemporaryFileUploadHandler, "receive_data_chunk", lambda self, raw, start: spooled.append(len(raw)) or original(self, raw, start)
    )
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload would go to a temporary file
    login(client, case.customer.user)
    document = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="passport")
    big = document_jpeg(size=(1200, 800)) + b"\0" * 2_000_000
    response = client.post(f"/verification/documents/{document.public_id}/pages/", {"file": upload(big, "big.jpg")})
    assert response.status_code == 400
    assert "MB" in response.content.decode()
    assert sum(spooled) <= 200_000 + 65_536  # at most the limit plus one chunk reached the disk
    assert private_files_in(settings) == [] and not DocumentPage.objects.exists()
