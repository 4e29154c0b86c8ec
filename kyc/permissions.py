"""Who may see what: one set of checks for the customer pages, the API, the reviewers' pages and the admin."""
from kyc.models import DocumentPage
from support.models import User


def can_review(user: User) -> bool:
    """Staff with the review permission (the document reviewer role, supervisors)."""
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm("kyc.review_document")


def can_view_page(user: User, page: DocumentPage) -> bool:
    """The owner, or a reviewer; nobody else learns that the page exists."""
    if not user.is_authenticated or not user.is_active:
        return False
    return page.document.case.customer.user_id == user.pk or can_review(user)
