"""Every agent gets a public code customers can check ("is this really support?")."""
import secrets

from django.db import migrations, models

import support.models.accounts

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def fill(apps, schema_editor):
    AgentProfile = apps.get_model("support", "AgentProfile")
    used = set()
    for profile in AgentProfile.objects.filter(public_code__isnull=True):
        code = None
        while code is None or code in used:
            code = "AG-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        used.add(code)
        profile.public_code = code
        profile.save(update_fields=["public_code"])


class Migration(migrations.Migration):
    dependencies = [("support", "0009_dashboard_statistics")]
    operations = [
        migrations.AddField(model_name="agentprofile", name="public_code", field=models.CharField(max_length=12, null=True, editable=False)),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="agentprofile",
            name="public_code",
            field=models.CharField(
                default=support.models.accounts.new_agent_code, editable=False,
                help_text='Shown to customers in chats and e-mails; they can check it on the "Is this really support?" page.',
                max_length=12, unique=True, verbose_name="public agent code",
            ),
        ),
    ]
