"""Verification over REST: the whole customer flow, refusals with their reason, and who may call what."""
import pytest
from rest_framework.test import APIClient

from kyc.models import Document, DocumentPage
from tests.kyc.conftest import document_jpeg, private_files_in, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(profile):
    client = APIClient()
    client.force_authenticate(profile.user)
    return client


def test_customer_verifies_through_the_api(api, profile, reviewer):
    assert api.get("/api/kyc/").json()["status"] == "unverified"
    details = {"legal_name": "Zhang San", "date_of_birth": "1990-05-17", "address": "1 Century Ave", "country": "China"}
    assert api.put("/api/kyc/", details, format="json").status_code == 200

    created = api.post("/api/kyc/documents/", {"kind": "identity", "doc_type": "passport"}, format="json")
    assert created.status_code == 201
    doc_id = created.json()["id"]
    page = api.post(f"/api/kyc/documents/{doc_id}/pages/", {"file": upload(document_jpeg())}, format="multipart")
    assert page.status_code == 201 and page.json()["number"] == 1 and page.json()["blurry"] is False
    submitted = api.post(f"/api/kyc/documents/{doc_id}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "pending" and submitted.json()["due_at"]

    from kyc import services

    services.document_reject(Document.objects.get(), reviewer=reviewer, reason="incomplete")
    body = api.get(f"/api/kyc/documents/{doc_id}/").json()
    assert body["status"] == "rejected" and body["rejection_reason"] == "incomplete"
    assert "four corners" in body["rejection_help"]
    assert api.get("/api/kyc/").json()["status"] == "action_needed"

    file_url = body["pages"][0]["url"]
    download = api.get(file_url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")


def test_refused_upload_names_the_problem_and_stores_nothing(api, case, settings):
    doc_id = api.post("/api/kyc/documents/", {"kind": "identity", "doc_type": "passport"}, format="json").json()["id"]
    response = api.post(f"/api/kyc/documents/{doc_id}/pages/", {"file": upload(b"", "empty.jpg")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "empty" and response.json()["file"][0]
    assert private_files_in(settings) == [] and not DocumentPage.objects.exists()


def test_submitting_too_few_pages_is_a_clear_400(api, case):
    doc_id = api.post("/api/kyc/documents/", {"kind": "identity", "doc_type": "id_card"}, format="json").json()["id"]
    api.post(f"/api/kyc/documents/{doc_id}/pages/", {"file": upload(document_jpeg())}, format="multipart")
    response = api.post(f"/api/kyc/documents/{doc_id}/submit/")
    assert response.status_code == 400 and "front and back" in response.json()["detail"][0]


def test_draft_page_can_be_removed(api, case, settings, django_capture_on_commit_callbacks):
    doc_id = api.post("/api/kyc/documents/", {"kind": "identity", "doc_type": "passport"}, format="json").json()["id"]
    page_id = api.post(f"/api/kyc/documents/{doc_id}/pages/", {"file": upload(document_jpeg())}, format="multipart").json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/kyc/documents/{doc_id}/pages/{page_id}/").status_code == 204
    assert private_files_in(settings) == []


def test_staff_without_a_customer_profile_get_403(agent):
    client = APIClient()
    client.force_authenticate(agent)
    assert client.get("/api/kyc/").status_code == 403
    assert client.get("/api/kyc/documents/").status_code == 403


def test_unknown_kind_or_type_is_refused(api, case):
    response = api.post("/api/kyc/documents/", {"kind": "identity", "doc_type": "utility_bill"}, format="json")
    assert response.status_code == 400
