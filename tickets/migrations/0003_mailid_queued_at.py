from django.db import migrations, models


def existing_were_queued(apps, schema_editor):
    # Every Message-ID recorded before this field went out with its mail in the same transaction.
    TicketMailId = apps.get_model("tickets", "TicketMailId")
    TicketMailId.objects.filter(queued_at__isnull=True).update(queued_at=models.F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0002_queue_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticketmailid",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(existing_were_queued, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="ticketmailid",
            index=models.Index(fields=["created_at"], condition=models.Q(queued_at__isnull=True), name="mailid_unqueued_idx"),
        ),
    ]
