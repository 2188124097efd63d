from django.db import migrations

BUILTIN = [
    ("New", "new", 10, "#0d6efd"),
    ("Open", "open", 20, "#198754"),
    ("Pending customer", "pending_customer", 30, "#fd7e14"),
    ("Pending third party", "pending_third_party", 40, "#fd7e14"),
    ("Postponed", "postponed", 50, "#6f42c1"),
    ("Resolved", "resolved", 60, "#20c997"),
    ("Closed", "closed", 70, "#6c757d"),
    ("Cancelled", "cancelled", 80, "#adb5bd"),
]


def forwards(apps, schema_editor):
    Status = apps.get_model("helpdesk", "Status")
    for name, category, order, colour in BUILTIN:
        Status.objects.get_or_create(
            name=name, defaults={"category": category, "order": order, "colour": colour, "is_builtin": True}
        )
    Counter = apps.get_model("helpdesk", "TicketCounter")
    if not Counter.objects.exists():
        Counter.objects.create(pk=1, last=10000)


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0002_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
