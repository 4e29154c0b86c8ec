"""Demo users for a local desk. Refuses to run when DEBUG is off: never seed known passwords in production."""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from support.models import User
from support.services import agent_create, customer_create

DEMO_PASSWORD = "demo-desk-2026"

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
