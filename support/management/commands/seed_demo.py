"""Demo users for a local desk. Refuses to run when DEBUG is off: never seed known passwords in production."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from support.models import User
from support.services import agent_create, customer_create

DEMO_PASSWORD = "demo-desk-2026"
DEMO_CALLBACK_RULE = "Demo: Monday to Saturday, 09:00-18:00"

AGENTS = [
    # email, name, languages, roles, extra
    ("agent.zh@demo.desk", ("Li", "Wei"), ["zh-hans", "zh-hant", "en"], ("agent",), {"handles_callbacks": True}),
    ("agent.en@demo.desk", ("Emma", "Brown"), ["en", "ru"], ("agent", "document_reviewer"), {"handles_documents": True}),
    ("supervisor@demo.desk", ("Sofia", "Chen"), ["en", "zh-hans"], ("agent", "supervisor"), {"handles_documents": True}),
    ("scheduler@demo.desk", ("Sam", "Taylor"), ["en"], ("scheduler",), {"chat_capacity": 0}),
]
CUSTOMERS = [
    ("customer@demo.desk", ("Zhang", "San"), "80001001", "+8613800138000", "zh-hans", "Asia/Shanghai", "standard"),
    ("vip@demo.desk", ("Olivia", "Smith"), "80001002", "+447400123456", "en", "Europe/London", "vip"),
]


class Command(BaseCommand):
    help = "Create demo customers, agents, a supervisor and a scheduler, and print their logins (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo refuses to run with DEBUG off: it creates accounts with a known password.")
        with transaction.atomic():
            created = self._seed()
        self.stdout.write(self.style.SUCCESS(f"Demo users ({'created' if created else 'already there'}), password: {DEMO_PASSWORD}"))
        for email, (first, last), *_rest in AGENTS + CUSTOMERS:
            user = User.objects.get(email=email)
            roles = ", ".join(sorted(user.groups.values_list("name", flat=True)))
            self.stdout.write(f"  {email:<24} {first + ' ' + last:<16} {roles}")
        if not User.objects.filter(is_superuser=True).exists():
            User.objects.create_superuser("admin@demo.desk", DEMO_PASSWORD)
        self.stdout.write(f"  {'admin@demo.desk':<24} superuser")
        slots = self._callback_slots()
        self.stdout.write(f"Call-back slots for the next {settings.CALLBACK_HORIZON_DAYS} days: {slots} new")

    def _callback_slots(self) -> int:
        """A capacity rule for the demo's call-back agents, and its slots from today on (beat's hourly
        callback_slots_generate keeps them coming): without one, no customer could book a call-back."""
        import datetime as dt

        from django.utils import timezone

        from callbacks.models import CapacityRule
        from callbacks.services import slots_generate
        from support.models import Language

        rule = CapacityRule.objects.filter(name=DEMO_CALLBACK_RULE).first()
        if rule is None:
            rule = CapacityRule.objects.create(
                name=DEMO_CALLBACK_RULE, weekdays="0,1,2,3,4,5", starts=dt.time(9), ends=dt.time(18)
            )
            rule.agents.set(User.objects.filter(agent_profile__handles_callbacks=True, email__endswith="@demo.desk"))
            rule.languages.set(Language.objects.filter(code__in=["zh-hans", "zh-hant", "en"]))
        return slots_generate(rule, start=timezone.localdate(), days=settings.CALLBACK_HORIZON_DAYS + 1)

    def _seed(self) -> bool:
        if User.objects.filter(email=AGENTS[0][0]).exists():
            for email, *_rest in AGENTS + CUSTOMERS:
                user = User.objects.get(email=email)
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            return False
        agents = {}
        for email, (first, last), languages, roles, extra in AGENTS:
            agents[email] = agent_create(
                email, password=DEMO_PASSWORD, first_name=first, last_name=last, languages=languages, roles=roles, **extra
            )
        for email, (first, last), account, phone, language, tz, tier in CUSTOMERS:
            customer_create(
                email,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                account_number=account,
                phone=phone,
                language=language,
                time_zone=tz,
                tier=tier,
                account_manager=agents["agent.en@demo.desk"].user if tier == "vip" else None,
            )
        return True
