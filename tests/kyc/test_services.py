"""The verification flow through its services: uploads, storage at rest, review decisions, clocks, the case, retention."""
import datetime as dt
import io
import os
import stat

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from PIL import Image

from kyc import services, vault
from kyc.checks import UploadRejected
from kyc.models import Document, DocumentPage, VerificationCase
from support.models import AuditEvent, Notification, OutboundEmail, SLAClock
from tests.kyc.conftest import document_jpeg, gps_exif, private_files_in, submitted, upload

pytestmark = pytest.mark.django_db

# Tuesday 8 December 2026, 10:00 in Shanghai: support is open around the clock on Tuesdays.
TUESDAY_10AM = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.timezone.utc)


def test_upload_is_encrypted_at_rest_private_and_stripped_of_metadata(case, settings):
    document = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="passport")
    original = document_jpeg(exif=gps_exif())
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload carries GPS

    page = services.document_page_add(document, actor=case.customer.user, upload=upload(original))

    stored = private_files_in(settings)
    assert len(stored) == 2  # the original and the reviewers' copy
    for path in stored:
        raw = path.read_bytes()
        # Ciphertext, not the image: a Fernet token is base64 text, so no JPEG marker byte can be in it
        # (a search for b"Exif" failed about one run in a hundred: base64 spells it by chance)
        assert raw != original and raw.isascii() and b"\xff\xd8" not in raw
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert vault.vault_get(page.original_file) == original
    clean = vault.vault_get(page.clean_file)
    image = Image.open(io.BytesIO(clean))
    assert image.format == "JPEG" and not image.getexif() and b"PhoneMaker" not in clean
    assert (page.width, page.height, page.content_type) == (1200, 800, "image/jpeg")


def test_rejected_upload_stores_nothing_and_says_why(case, settings):
    document = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="passport")
    with pytest.raises(UploadRejected) as refused:
        services.document_page_add(document, actor=case.customer.user, upload=upload(b"<html><script>alert(1)</script></html>"))
    assert str(refused.value.message)
    assert private_files_in(settings) == []
    assert not DocumentPage.objects.exists()
    assert not AuditEvent.objects.filter(verb="kyc.page_uploaded").exists()


def test_same_file_twice_is_refused_as_a_duplicate_and_stores_nothing_more(case, settings):
    user = case.customer.user
    photo = document_jpeg()
    first = services.document_start(case, actor=user, kind="identity", doc_type="passport")
    services.document_page_add(first, actor=user, upload=upload(photo))
    with pytest.raises(services.KycError):
        services.document_page_add(first, actor=user, upload=upload(photo))
    other = services.document_start(case, actor=user, kind="address", doc_type="utility_bill")
    with pytest.raises(UploadRejected) as refused:
        services.document_page_add(other, actor=user, upload=upload(photo))
    assert refused.value.code == "duplicate"
    assert len(private_files_in(settings)) == 2


def test_same_file_on_another_account_is_flagged_for_reviewers_not_refused(case, db):
    from tests.factories import CustomerFactory
    from tests.kyc.conftest import fill_details

    photo = document_jpeg()
    mine = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="passport")
    services.document_page_add(mine, actor=case.customer.user, upload=upload(photo))
    stranger = CustomerFactory()
    their_case = fill_details(services.case_get_or_create(stranger), stranger.user)
    theirs = services.document_start(their_case, actor=stranger.user, kind="identity", doc_type="passport")
    services.document_page_add(theirs, actor=stranger.user, upload=upload(photo))
    theirs.refresh_from_db()
    assert theirs.seen_on_other_account


def test_id_card_needs_front_and_back_before_submission(case):
    user = case.customer.user
    document = services.document_start(case, actor=user, kind="identity", doc_type="id_card")
    services.document_page_add(document, actor=user, upload=upload(document_jpeg()))
    with pytest.raises(services.KycError, match="2 pages"):
        services.document_submit(document, actor=user)
    services.document_page_add(document, actor=user, upload=upload(document_jpeg()))
    assert services.document_submit(document, actor=user).status == Document.Status.PENDING


def test_submission_needs_registered_details(profile):
    case = services.case_get_or_create(profile)
    document = services.document_start(case, actor=profile.user, kind="identity", doc_type="passport")
    services.document_page_add(document, actor=profile.user, upload=upload(document_jpeg()))
    with pytest.raises(services.KycError, match="details"):
        services.document_submit(document, actor=profile.user)


def test_removed_page_files_are_deleted(case, settings, django_capture_on_commit_callbacks):
    user = case.customer.user
    document = services.document_start(case, actor=user, kind="identity", doc_type="passport")
    page = services.document_page_add(document, actor=user, upload=upload(document_jpeg()))
    with django_capture_on_commit_callbacks(execute=True):
        services.document_page_remove(page, actor=user)
    assert private_files_in(settings) == []


@time_machine.travel(TUESDAY_10AM, tick=False)
def test_submission_starts_the_review_clock_and_vip_is_due_sooner(case, db):
    from tests.factories import CustomerFactory
    from tests.kyc.conftest import fill_details

    standard = submitted(case, case.customer.user)
    vip_profile = CustomerFactory(tier="vip")
    vip = submitted(fill_details(services.case_get_or_create(vip_profile), vip_profile.user), vip_profile.user)
    clock = SLAClock.objects.get(object_id=str(standard.pk), metric=SLAClock.Metric.DOCUMENT_REVIEW)
    assert clock.state == SLAClock.State.RUNNING and standard.due_at == clock.due_at
    assert vip.due_at < standard.due_at
    assert case.__class__.objects.get(pk=case.pk).status == VerificationCase.Status.PENDING


def test_reviewer_approves_and_the_customer_is_told_in_their_language(case, reviewer):
    profile = case.customer
    profile.language = "zh-hans"
    profile.save()
    document = submitted(case, profile.user)
    services.document_approve(document, reviewer=reviewer)
    document.refresh_from_db()
    assert document.status == Document.Status.APPROVED and document.reviewer == reviewer
    clock = SLAClock.objects.get(object_id=str(document.pk), metric=SLAClock.Metric.DOCUMENT_REVIEW)
    assert clock.state == SLAClock.State.MET
    note = Notification.objects.get(recipient=profile.user, kind="kyc.decision")
    assert "已" in note.message  # 已批准 / has been approved, in Chinese
    email = OutboundEmail.objects.get(to=[profile.user.email])
    assert "护照" in email.subject  # "Passport" in Chinese


def test_rejection_gives_the_reason_in_plain_words_and_asks_for_a_new_upload(case, reviewer):
    document = submitted(case, case.customer.user)
    services.document_reject(document, reviewer=reviewer, reason="blurry", note="The photo is out of focus.")
    case.refresh_from_db()
    assert case.status == VerificationCase.Status.ACTION_NEEDED
    email = OutboundEmail.objects.get(to=[case.customer.user.email])
    assert "blurry" in email.body_text and "hold the phone steady" in email.body_text
    assert "The photo is out of focus." in email.body_text
    # The customer can start again for that kind.
    again = services.document_start(case, actor=case.customer.user, kind="identity", doc_type="id_card")
    assert again.status == Document.Status.DRAFT


def test_all_three_kinds_approved_verifies_the_case(case, reviewer):
    user = case.customer.user
    identity = submitted(case, user)
    address = submitted(case, user, kind="address", doc_type="utility_bill")
    payment = submitted(case, user, kind="payment", doc_type="card_photo")
    services.document_approve(identity, reviewer=reviewer)
    services.document_approve(address, reviewer=reviewer, issue_date=timezone.localdate() - dt.timedelta(days=20))
    case.refresh_from_db()
    assert case.status == VerificationCase.Status.PENDING
    services.document_approve(payment, reviewer=reviewer)
    case.refresh_from_db()
    assert case.status == VerificationCase.Status.VERIFIED and case.verified_at is not None
    assert "fully verified" in OutboundEmail.objects.filter(to=[user.email]).order_by("-pk").first().body_text
    with pytest.raises(services.KycError):
        services.case_details_update(case, actor=user, legal_name="Someone Else", date_of_birth=dt.date(1980, 1, 1), address="x", country="y")


def test_proof_of_address_needs_an_issue_date_within_three_months(case, reviewer):
    with time_machine.travel(dt.datetime(2026, 5, 31, 4, 0, tzinfo=dt.timezone.utc), tick=False):
        document = submitted(case, case.customer.user, kind="address", doc_type="bank_statement")
        with pytest.raises(services.KycError, match="issue date"):
            services.document_approve(document, reviewer=reviewer)
        with pytest.raises(services.KycError, match="too old"):
            services.document_approve(document, reviewer=reviewer, issue_date=dt.date(2026, 2, 27))
        assert services.address_proof_too_old(dt.date(2026, 2, 27), submitted=dt.date(2026, 5, 31))
        assert not services.address_proof_too_old(dt.date(2026, 2, 28), submitted=dt.date(2026, 5, 31))
        approved = services.document_approve(document, reviewer=reviewer, issue_date=dt.date(2026, 2, 28))
    assert approved.status == Document.Status.APPROVED and approved.issue_date == dt.date(2026, 2, 28)


def test_months_before_handles_month_ends():
    assert services.months_before(dt.date(2026, 5, 31), 3) == dt.date(2026, 2, 28)
    assert services.months_before(dt.date(2026, 1, 15), 3) == dt.date(2025, 10, 15)


def test_reviewer_cannot_review_their_own_account(case, reviewer):
    from tests.factories import CustomerFactory
    from tests.kyc.conftest import fill_details

    own_profile = CustomerFactory(user=reviewer)
    own = submitted(fill_details(services.case_get_or_create(own_profile), reviewer), reviewer)
    with pytest.raises(services.KycError, match="own account"):
        services.document_approve(own, reviewer=reviewer)
    own.refresh_from_db()
    assert own.status == Document.Status.PENDING


def test_agent_without_the_review_permission_cannot_decide(case, agent):
    document = submitted(case, case.customer.user)
    with pytest.raises(services.KycError, match="permission"):
        services.document_reject(document, reviewer=agent, reason="blurry")


def test_four_eyes_approval_needs_a_second_different_reviewer(case, reviewer, second_reviewer, settings):
    settings.KYC_FOUR_EYES = True
    document = submitted(case, case.customer.user)
    services.document_approve(document, reviewer=reviewer)
    document.refresh_from_db()
    assert document.status == Document.Status.SECOND_REVIEW and document.first_reviewer == reviewer
    assert SLAClock.objects.get(object_id=str(document.pk)).state == SLAClock.State.RUNNING
    assert not OutboundEmail.objects.exists()  # nothing to tell the customer yet
    with pytest.raises(services.KycError, match="second"):
        services.document_approve(document, reviewer=reviewer)
    services.document_approve(document, reviewer=second_reviewer)
    document.refresh_from_db()
    assert document.status == Document.Status.APPROVED and document.reviewer == second_reviewer


def test_a_decided_document_cannot_be_decided_again(case, reviewer, second_reviewer):
    document = submitted(case, case.customer.user)
    services.document_reject(document, reviewer=reviewer, reason="mismatch")
    with pytest.raises(services.KycError, match="not waiting"):
        services.document_approve(document, reviewer=second_reviewer)


def test_reading_a_page_writes_who_read_which_copy_to_the_audit_log(case, reviewer):
    document = submitted(case, case.customer.user)
    page = document.pages.get()
    services.page_read(page, user=reviewer, original=True)
    services.page_read(page, user=case.customer.user)
    rows = list(AuditEvent.objects.filter(verb="kyc.page_viewed").order_by("pk"))
    assert [(r.actor, r.data["copy"], r.data["page_id"]) for r in rows] == [
        (reviewer, "original", str(page.public_id)),
        (case.customer.user, "clean", str(page.public_id)),
    ]


def test_retention_deletes_files_of_closed_accounts_and_keeps_the_trail(case, settings, django_capture_on_commit_callbacks):
    settings.KYC_RETENTION_DAYS = 30
    document = submitted(case, case.customer.user)
    profile = case.customer
    profile.account_closed_at = timezone.now() - dt.timedelta(days=31)
    profile.save()
    from tests.factories import CustomerFactory
    from tests.kyc.conftest import fill_details

    recent = CustomerFactory(account_closed_at=timezone.now() - dt.timedelta(days=5))
    kept = submitted(fill_details(services.case_get_or_create(recent), recent.user), recent.user)
    assert len(private_files_in(settings)) == 4

    with django_capture_on_commit_callbacks(execute=True):
        assert services.kyc_retention_purge() == 1
    assert len(private_files_in(settings)) == 2  # only the recently closed account's files remain
    document.refresh_from_db()
    case.refresh_from_db()
    assert document.purged_at is not None and case.legal_name == "" and case.date_of_birth is None
    assert SLAClock.objects.get(object_id=str(document.pk)).state == SLAClock.State.CANCELLED
    assert AuditEvent.objects.filter(verb="kyc.purged", object_id=str(document.pk)).exists()
    assert AuditEvent.objects.filter(verb="kyc.document_submitted", object_id=str(document.pk)).exists()
    with pytest.raises(services.KycError):
        services.page_read(document.pages.get(), user=case.customer.user)
    kept.refresh_from_db()
    assert kept.purged_at is None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.kyc_retention_purge() == 0  # a second run does nothing


def test_drafts_never_submitted_expire_with_their_files(case, settings, django_capture_on_commit_callbacks):
    user = case.customer.user
    with time_machine.travel(timezone.now() - dt.timedelta(days=31)):
        stale = services.document_start(case, actor=user, kind="identity", doc_type="passport")
        services.document_page_add(stale, actor=user, upload=upload(document_jpeg()))
    fresh = services.document_start(case, actor=user, kind="address", doc_type="utility_bill")
    services.document_page_add(fresh, actor=user, upload=upload(document_jpeg()))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.kyc_retention_purge() == 1
    assert list(Document.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert len(private_files_in(settings)) == 2
    assert AuditEvent.objects.filter(verb="kyc.draft_expired", object_id=str(stale.pk)).exists()


def test_registered_details_pass_the_secret_shield(profile):
    from safety.models import SecretEvent

    case = services.case_get_or_create(profile)
    services.case_details_update(
        case, actor=profile.user, legal_name="Zhang San", date_of_birth=dt.date(1990, 5, 17),
        address="1 Century Ave, Shanghai. password: Hunter2Hunter2", country="China",
    )
    case.refresh_from_db()
    assert "Hunter2Hunter2" not in case.address and "[password removed]" in case.address
    assert SecretEvent.objects.filter(kind="password", where="kyc").exists()
