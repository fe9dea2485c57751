"""The touch system's background schedule: `romashka serve` runs the daily run once a day beside the
status refresh loop (path/refresh.py), so one laptop needs no cron; servers use `romashka daily`."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections

log = logging.getLogger(__name__)


def daily_loop(*, interval_seconds: float = 300.0, stop: threading.Event) -> None:
    """Checks every few minutes whether an organisation's day has begun without its daily run."""
    from romashka.touches.services import daily_if_due

    while not stop.is_set():
        try:
            close_old_connections()
            for organisation, summary in daily_if_due():
                log.warning("daily touch run of %s: %s", organisation, summary)
        except Exception:  # a failed round must not stop the server; it is logged and retried
            log.exception("daily touch run failed")
        finally:
            close_old_connections()
        stop.wait(interval_seconds)


def start_daily_thread(*, interval_seconds: float = 300.0) -> threading.Event:
    stop = threading.Event()
    threading.Thread(target=daily_loop, kwargs={"interval_seconds": interval_seconds, "stop": stop},
                     name="romashka-touch-daily", daemon=True).start()
    return stop
