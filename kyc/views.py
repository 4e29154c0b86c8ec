"""Verification pages: the customer's (details, documents, uploads) and the one file view everyone goes through."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kyc import services
from kyc.forms import DetailsForm, StartForm, UploadForm
from kyc.models import Document
from kyc.permissions import can_review
from kyc.selectors import document_get_for_customer, documents_of_case, page_get_for
from kyc.texts import reason_help
from support.permissions import require_customer

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def _case(request):
    profile = require_customer(request.user, _("The verification page is for customers; reviewers use the review queue."))
    return services.case_get_or_create(profile)


def _kind_rows(case, documents):
    """Per required kind: its latest document (any state), whether a new one may be started, the types offered."""
    rows = []
    for kind in Document.Kind:
        of_kind = [d for d in documents if d.kind == kind]
        latest = of_kind[0] if of_kind else None
        blocked = any(d.under_review or d.status == Document.Status.APPROVED for d in of_kind)
        rows.append(
            {
                "kind": kind,
                "label": kind.label,
                "latest": latest,
                "history": of_kind[1:],
                "can_start": not blocked,
                "types": Document.TYPES_BY_KIND[kind],
                "help": reason_help(latest.rejection_reason) if latest and latest.status == Document.Status.REJECTED else "",
            }
        )
    return rows


@login_required
def home(request):
    case = _case(request)
    form = DetailsForm(request.POST or None, instance=case, prefix="details")
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.case_details_update(case, actor=request.user, **data)
            except services.KycError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Your details were saved."))
                return redirect("kyc:home")
        case.refresh_from_db()
    documents = list(documents_of_case(case))
    return render(
        request,
        "kyc/home.html",
        {
            "case": case,
            "form": form,
            "details_locked": case.status in (case.Status.PENDING, case.Status.VERIFIED)
            or any(d.under_review for d in documents),
            "rows": _kind_rows(case, documents),
        },
    )


@login_required
@require_POST
def document_start(request):
    case = _case(request)
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the documents listed for this step."))
        return redirect("kyc:home")
    try:
        document = services.document_start(case, actor=request.user, **form.cleaned_data)
    except services.KycError as exc:
        messages.error(request, str(exc))
        return redirect("kyc:home")
    return redirect("kyc:document", public_id=document.public_id)


@login_required
def document_detail(request, public_id):
    _case(request)
    document = document_get_for_customer(request.user, public_id)
    return _document_page(request, document, UploadForm())


def _document_page(request, document, form, status=200):
    pages = list(document.pages.all())
    return render(
        request,
        "kyc/document.html",
        {
            "document": document,
            "pages": pages,
            "form": form,
            "any_blurry": any(p.blurry for p in pages),
            "help": reason_help(document.rejection_reason) if document.status == Document.Status.REJECTED else "",
            "can_submit": document.status == Document.Status.DRAFT and len(pages) >= document.pages_required,
        },
        status=status,
    )


@login_required
@require_POST
def page_upload(request, public_id):
    _case(request)
    document = document_get_for_customer(request.user, public_id)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _document_page(request, document, form, status=400)
    upload = form.cleaned_data["file"]
    from kyc.checks import UploadRejected

    try:
        page = services.document_page_add(document, actor=request.user, upload=upload, filename=upload.name)
    except (UploadRejected, services.KycError) as exc:
        form.add_error("file", str(exc.message))
        return _document_page(request, document, form, status=400)
    if page.blurry:
        messages.warning(
            request,
            _("Page %(n)d looks blurry. Reviewers reject documents they cannot read: retake it (remove and upload a sharper photo) before you submit.")
            % {"n": page.number},
        )
    else:
        messages.success(request, _("Page %(n)d added.") % {"n": page.number})
    return redirect("kyc:document", public_id=document.public_id)


@login_required
@require_POST
def page_remove(request, public_id, page_id):
    _case(request)
    document = document_get_for_customer(request.user, public_id)
    page = next((p for p in document.pages.all() if str(p.public_id) == str(page_id)), None)
    if page is None:
        raise Http404
    try:
        services.document_page_remove(page, actor=request.user)
    except services.KycError as exc:
        messages.error(request, str(exc))
    return redirect("kyc:document", public_id=document.public_id)


@login_required
@require_POST
def document_submit(request, public_id):
    _case(request)
    document = document_get_for_customer(request.user, public_id)
    try:
        services.document_submit(document, actor=request.user)
    except services.KycError as exc:
        messages.error(request, str(exc))
        return redirect("kyc:document", public_id=document.public_id)
    messages.success(request, _("Submitted. We review documents within 24 business hours and will tell you the result."))
    return redirect("kyc:home")


def file_response(data: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A document file: always a download, never cached, never sniffed or run as a page."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def page_file(request, page_id, original=False):
    """The owner or a reviewer reads a page (the re-encoded copy; reviewers may fetch the original); audited."""
    return page_download(request, page_id, original=original)


def page_download(request, page_id, *, original: bool = False) -> HttpResponse:
    """The one way a page's bytes leave the vault (pages and API): authorised, audited, a no-store download."""
    page = page_get_for(request.user, page_id)
    if original and not can_review(request.user):
        raise Http404
    try:
        data = services.page_read(page, user=request.user, original=original, request=request)
    except services.KycError:
        raise Http404 from None
    content_type = page.content_type if original else page.clean_content_type
    name = f"{page.document.doc_type}-{page.number}{'-original' if original else ''}.{EXTENSIONS[content_type]}"
    return file_response(data, content_type=content_type, filename=name)
