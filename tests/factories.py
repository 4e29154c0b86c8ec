"""factory-boy factories for the shared core. Profiles and roles as the services create them."""
import factory
from django.contrib.auth.models import Group

from support.models import AgentProfile, CustomerProfile, Language, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get(name=role))


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerProfile

    user = factory.SubFactory(UserFactory, roles=("customer",))
    account_number = factory.Sequence(lambda n: f"7{n:07d}")
    phone = "+8613912345678"
    language = "en"
    time_zone = "Asia/Shanghai"


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_staff=True, roles=("agent",))
    chat_capacity = 3

    @factory.post_generation
    def languages(self, create, extracted, **kwargs):
        self.languages.set(Language.objects.filter(code__in=extracted or ["en"]))


class SupervisorFactory(AgentFactory):
    user = factory.SubFactory(UserFactory, is_staff=True, roles=("agent", "supervisor"))


def make_ticket(customer=None, **kwargs):
    """A ticket opened through the service, as a customer's web form would."""
    from tickets.models import Ticket
    from tickets.services import ticket_create

    defaults = {
        "subject": "Withdrawal not received",
        "body_text": "My withdrawal of 100 USDT has not arrived.",
        "requester_email": customer.email if customer else "stranger@example.net",
        "customer": customer,
        "channel": Ticket.Origin.WEB,
        "category": Ticket.Category.FUNDS,
        "acknowledge": False,
    }
    defaults.update(kwargs)
    return ticket_create(**defaults)
