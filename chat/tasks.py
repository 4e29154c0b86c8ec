"""Celery tasks of the chat app: thin, safe to run twice."""
from celery import shared_task


@shared_task(acks_late=True)
def chat_offers_expire() -> int:
    """Beat: offers nobody took go to the next agent; waiting chats without an offer get one."""
    from chat.services import offers_expire

    return offers_expire()
