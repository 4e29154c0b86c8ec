"""What the SLA scan needs to know about documents under review: a label, the review page, and who is warned."""
from django.urls import reverse

from kyc.models import Document
from support.models import User


def reviewer_ids() -> tuple[int, ...]:
    return tuple(
        User.objects.filter(is_active=True, is_staff=True, groups__name="document_reviewer").distinct().values_list("pk", flat=True)
    )


def cases(clocks) -> dict:
    from support.services.escalation import CaseInfo

    ids = {int(c.object_id) for c in clocks if c.object_id.isdigit()}
    documents = {
        str(d.pk): d for d in Document.objects.filter(pk__in=ids).select_related("case__customer").only(
            "pk", "doc_type", "case__customer__account_number"
        )
    }
    pool = reviewer_ids()
    infos = {}
    for clock in clocks:
        document = documents.get(clock.object_id)
        if document is not None:
            label = f"{document.get_doc_type_display()} · {document.case.customer.account_number}"
            infos[clock.id] = CaseInfo(label=label, url=reverse("admin:kyc_document_change", args=[document.pk]), assignee_id=None, pool=pool)
    return infos
