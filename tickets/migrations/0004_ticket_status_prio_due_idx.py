from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0003_mailid_queued_at"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["status", "priority", "sla_due_at", "-id"], name="ticket_status_prio_due_idx"),
        ),
    ]
