"""The organisation and every counterparty it deals with: each is a Party of one or more kinds."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from romashka.core.choices import ChannelKind, Gender, Ownership, PartyForm, PartyKind, Role


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    default_cycle_days = models.PositiveIntegerField(
        _("default purchase cycle, days"),
        default=90,
        help_text=_("Days without a purchase after which a client counts as dormant."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Party(models.Model):
    """Any counterparty: guest, employee, franchise partner, supplier, investor, community."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="parties")
    form = models.CharField(_("form"), max_length=10, choices=PartyForm.choices, default=PartyForm.PERSON)
    name = models.CharField(_("name"), max_length=300)
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        null=True,
        blank=True,
        help_text=_("Card number, phone or the id in the source system, kept exactly as given."),
    )
    home_location = models.ForeignKey(
        "core.Location",
        verbose_name=_("home location"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="home_parties",
    )
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    acquisition_channel = models.CharField(_("acquisition channel"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="party_external_id_unique",
            )
        ]
        indexes = [models.Index(fields=["organisation", "home_location"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class PartyRole(models.Model):
    """One kind a party has for the organisation (a person can be a guest and an employee)."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(_("kind"), max_length=20, choices=PartyKind.choices)
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("party kind")
        verbose_name_plural = _("party kinds")
        constraints = [models.UniqueConstraint(fields=["party", "kind"], name="party_role_unique")]
        indexes = [models.Index(fields=["kind", "party"])]

    def __str__(self) -> str:
        return f"{self.party} — {self.get_kind_display()}"


class Location(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="locations")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)
    ownership = models.CharField(_("ownership"), max_length=10, choices=Ownership.choices, default=Ownership.OWN)
    partner = models.ForeignKey(
        Party,
        verbose_name=_("franchise partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partner_locations",
    )
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["city", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="location_code_unique"),
            models.CheckConstraint(
                condition=Q(ownership=Ownership.OWN, partner__isnull=True)
                | Q(ownership=Ownership.FRANCHISE, partner__isnull=False),
                name="location_franchise_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class Department(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="departments")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="department_code_unique")]

    def __str__(self) -> str:
        return self.name


class Channel(models.Model):
    """A way to reach a party, with the consent to use it."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    value = models.CharField(_("value"), max_length=200, help_text=_("As given by the source."))
    normalized = models.CharField(
        _("normalised value"), max_length=200, db_index=True, help_text=_("+7… for phones, lower case e-mail.")
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=100, blank=True)
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(fields=["party", "kind", "normalized"], name="channel_unique_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def has_consent(self) -> bool:
        return self.consent_at is not None and self.consent_withdrawn_at is None


class Employee(models.Model):
    party = models.OneToOneField(Party, on_delete=models.CASCADE, related_name="employment")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="employee"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="staff"
    )
    position = models.CharField(_("position"), max_length=100)
    hired_on = models.DateField(_("hired"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        indexes = [models.Index(fields=["location", "left_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("hired_on")),
                name="employee_left_after_hired",
            )
        ]

    def __str__(self) -> str:
        return self.party.name


class Membership(models.Model):
    """A user's role in the organisation and the scope it gives: the single source of access."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("For location managers and employees: the location they work at."),
    )
    partner = models.ForeignKey(
        Party,
        verbose_name=_("franchise partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("For franchise partners: the partner whose locations they see."),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role__in=[Role.LOCATION_MANAGER, Role.EMPLOYEE]) | Q(location__isnull=False),
                name="membership_location_role_has_location",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.FRANCHISE_PARTNER) | Q(partner__isnull=False),
                name="membership_partner_role_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class LoginFailure(models.Model):
    """Recent wrong passwords per user name, for lockout."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    first_failure_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("login failure")
        verbose_name_plural = _("login failures")

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
