import pytest

from chat.models import AgentPresence
from support.models import BusinessCalendar, SLAPolicy
from tests.factories import AgentFactory, SupervisorFactory


@pytest.fixture
def chat_open(db):
    """Chat policies on the 24x7 calendar, so tests do not depend on the hour they run at."""
    always = BusinessCalendar.objects.get(name="Always open")
    SLAPolicy.objects.filter(channel="chat").update(calendar=always)
    return always


def online_agent(languages=("en",), capacity=3, supervisor=False):
    from chat.services import agent_presence_set

    factory = SupervisorFactory if supervisor else AgentFactory
    profile = factory(languages=list(languages), chat_capacity=capacity)
    agent_presence_set(profile.user, status=AgentPresence.Status.AVAILABLE)
    return profile.user


@pytest.fixture
def chat_agent(chat_open):
    return online_agent()
