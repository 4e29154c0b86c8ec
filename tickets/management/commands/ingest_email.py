"""Feed raw RFC 5322 messages into the desk: files, folders, Maildir, mbox, or '-' (an MTA pipe).

Prints one JSON line per message. Exit status 0 when every message was stored (quarantined ones
included: they wait for an agent); 1 when a path could not be read.
"""
import json

from django.core.management.base import BaseCommand, CommandError

from tickets.mail import intake
from tickets.mail.sources import raw_messages


class Command(BaseCommand):
    help = "Turn raw e-mail into tickets (or thread it into one); one JSON line per message."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files, folders, Maildir or mbox; '-' reads stdin")
        parser.add_argument("--dry-run", action="store_true", help="parse and decide, store nothing")

    def handle(self, *args, paths, dry_run: bool = False, **options):
        if dry_run:
            results = (intake.dry_run(raw, source=source) for source, raw in raw_messages(paths))
        else:  # a batch of messages stored with one commit, then each processed (a single one: as it comes)
            results = intake.ingest_many(raw_messages(paths))
        try:
            for result in results:
                self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
        except FileNotFoundError as exc:
            raise CommandError(f"no such file or folder: {exc}") from exc

