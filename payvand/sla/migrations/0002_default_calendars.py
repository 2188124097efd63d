"""Two calendars to start from: Iran (Saturday to Wednesday, Thursday morning) and Hungary (Monday to Friday).
Their public holidays are loaded per year from the settings page (or `holidays_load`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import migrations

T = dt.time
IRAN = [(day, T(8), T(16)) for day in (5, 6, 0, 1, 2)] + [(3, T(8), T(12))]
HUNGARY = [(day, T(8), T(16, 30)) for day in (0, 1, 2, 3)] + [(4, T(8), T(14))]


def create(apps: Any, schema_editor: Any) -> None:
    calendar_model = apps.get_model("sla", "BusinessCalendar")
    hours_model = apps.get_model("sla", "WorkingHours")
    for name, tz, country, hours in (
        ("Iran (Tehran)", "Asia/Tehran", "IR", IRAN),
        ("Hungary (Budapest)", "Europe/Budapest", "HU", HUNGARY),
    ):
        calendar, created = calendar_model.objects.get_or_create(
            name=name, defaults={"time_zone": tz, "country": country}
        )
        if created:
            hours_model.objects.bulk_create(
                hours_model(calendar=calendar, weekday=d, start=s, end=e) for d, s, e in hours
            )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
