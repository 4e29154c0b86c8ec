"""Load the help-centre articles (English and Simplified Chinese) from helpcenter/content.py. Safe to run again."""
from django.core.management.base import BaseCommand

from helpcenter import content, services


class Command(BaseCommand):
    help = "Create or update the seeded help-centre categories and articles (by slug)."

    def handle(self, *args, **options):
        created, updated = services.content_load(content.CATEGORIES, content.ARTICLES)
        self.stdout.write(f"Help centre: {created} articles created, {updated} updated.")
