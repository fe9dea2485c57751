"""The database the benches of the medium demo run on: Django set up on DATABASE_URL, migrated, the demo in it."""

from __future__ import annotations

import os
import sys
import time


def medium_demo(*, build: bool):
    """Sets Django up, migrates, loads the medium demo when the database is empty and ``build`` (else exits
    with a message); returns the demo's organisation."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "romashka.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command

    from romashka.core.demo import database_is_empty, demo_network_create
    from romashka.core.models import Organisation

    call_command("migrate", verbosity=0)
    if database_is_empty():
        if not build:
            sys.exit("The database is empty: load the demo (romashka demo --size medium) or pass --build.")
        started = time.perf_counter()
        demo_network_create(size="medium", seed=7)
        print(f"medium demo loaded in {time.perf_counter() - started:.0f} s")
    return Organisation.objects.get()
