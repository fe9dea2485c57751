"""Navigation for the layout: the product's sections, only those the user's role can use."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from romashka.core.access import Capability, scope_for
from romashka.core.choices import Role

# (url name or None while the section is not built yet, label, capability needed or None)
SECTIONS = [
    ("home", _("Home"), None),
    ("chamomile", _("Chamomile"), Capability.VIEW_DASHBOARD),
    ("path", _("Client's path"), Capability.VIEW_CLIENTS),
    ("clients", _("Clients"), Capability.VIEW_CLIENTS),
    ("purchases", _("Purchases"), Capability.VIEW_PURCHASES),
    ("tasks", _("Tasks"), Capability.VIEW_CLIENTS),
    ("touches", _("Touch standards"), Capability.VIEW_UPLIFT),
    ("planning", _("Planning"), Capability.VIEW_PLANNING),
    ("feedback", _("Feedback"), Capability.VIEW_FEEDBACK),
    ("segments", _("Segments"), Capability.VIEW_DISCOVERY),
    ("staff", _("Staff"), Capability.VIEW_STAFF),
    ("partners", _("Partners"), Capability.VIEW_PARTNERS),
    ("locations", _("Locations"), None),
    ("data", _("Data"), Capability.USE_API),
    ("settings", _("Settings"), Capability.MANAGE_SETTINGS),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        scope = scope_for(user)
    except Exception:  # a user without a role sees no navigation, the views answer 403
        return {"nav": []}
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    nav = []
    for url_name, label, capability in SECTIONS:
        if capability is not None and not scope.can(capability):
            continue
        nav.append({
            "label": label,
            "url": reverse(url_name) if url_name else None,
            "active": url_name is not None and (current == url_name or (current or "").startswith(f"{url_name}_")),
        })
    return {"nav": nav, "scope": scope, "role_label": Role(scope.role).label}
