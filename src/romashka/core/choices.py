"""Vocabularies of the core: party kinds, channels, roles, ownership."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PartyKind(models.TextChoices):
    GUEST = "guest", _("guest")
    EMPLOYEE = "employee", _("employee")
    FRANCHISE_PARTNER = "franchise_partner", _("franchise partner")
    SUPPLIER = "supplier", _("supplier")
    BUSINESS_PARTNER = "business_partner", _("business partner")
    INVESTOR = "investor", _("investor")
    COMMUNITY = "community", _("community / state")


class PartyForm(models.TextChoices):
    PERSON = "person", _("person")
    COMPANY = "company", _("company")


class Gender(models.TextChoices):
    FEMALE = "f", _("female")
    MALE = "m", _("male")


class ChannelKind(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    MESSENGER = "messenger", _("messenger")


class Ownership(models.TextChoices):
    OWN = "own", _("own")
    FRANCHISE = "franchise", _("franchise partner's")


class Role(models.TextChoices):
    OWNER = "owner", _("owner / director")
    CRM_MANAGER = "crm_manager", _("CRM manager")
    LOCATION_MANAGER = "location_manager", _("location manager")
    EMPLOYEE = "employee", _("employee")
    HR = "hr", _("HR")
    FRANCHISE_PARTNER = "franchise_partner", _("franchise partner")
    ANALYST = "analyst", _("analyst")
