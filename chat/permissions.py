"""Who may see or act on a chat: one set of checks for consumers, pages, downloads and the admin."""
from chat.models import Conversation
from support.models import User


def is_chat_agent(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("chat.change_conversation")


def is_chat_supervisor(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("chat.supervise_conversation")


def can_view_conversation(user: User, conversation: Conversation) -> bool:
    """The customer who owns it; the agent it is assigned or offered to; supervisors. Anyone else: 404."""
    if not user.is_authenticated or not user.is_active:
        return False
    if conversation.customer_id == user.pk:
        return True
    if is_chat_supervisor(user):
        return True
    return is_chat_agent(user) and user.pk in (conversation.assignee_id, conversation.offered_to_id)


def can_write_conversation(user: User, conversation: Conversation) -> bool:
    """Send into the chat: its customer while live, or its assigned agent (a supervisor takes over first)."""
    if not conversation.is_live or not user.is_authenticated or not user.is_active:
        return False
    if conversation.customer_id == user.pk:
        return True
    return is_chat_agent(user) and conversation.assignee_id == user.pk


def can_accept_conversation(user: User, conversation: Conversation) -> bool:
    """A waiting chat offered to this agent, or in a language they speak; supervisors any."""
    if conversation.status != Conversation.Status.QUEUED or not is_chat_agent(user):
        return False
    if is_chat_supervisor(user) or conversation.offered_to_id == user.pk:
        return True
    profile = getattr(user, "agent_profile", None)
    return bool(profile and profile.handles_chat and profile.languages.filter(code=conversation.language).exists())
