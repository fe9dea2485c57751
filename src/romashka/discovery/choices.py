"""Vocabularies of discovery: what a segment condition looks at, why a party is not ours, B2B roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SegmentField(models.TextChoices):
    """One characteristic a segment condition tests: a party attribute or a figure derived from purchases."""

    CITY = "city", _("city")
    LOCATION = "location", _("home location")
    AGE = "age", _("age")
    GENDER = "gender", _("gender")
    ACQUISITION_CHANNEL = "acquisition_channel", _("acquisition channel")
    FORM = "form", _("person or company")
    STATUS = "status", _("status on the client's path")
    CATEGORY = "category", _("product category bought")
    AVERAGE_TICKET = "average_ticket", _("average ticket")
    REVENUE = "revenue", _("revenue")
    PURCHASE_DAYS = "purchase_days", _("purchase days")
    INDUSTRY = "industry", _("industry (B2B)")
    COMPANY_SIZE = "company_size", _("company size (B2B)")


# Conditions on these fields take a band (from, to); the others a list of values.
RANGE_FIELDS = frozenset({SegmentField.AGE, SegmentField.AVERAGE_TICKET, SegmentField.REVENUE,
                          SegmentField.PURCHASE_DAYS})
# Whole-number bands include both ends (age 25–34); money bands include the start, not the end (500–1000 ₽).
WHOLE_NUMBER_FIELDS = frozenset({SegmentField.AGE, SegmentField.PURCHASE_DAYS})
MAX_CONDITIONS = 3


class CompanySize(models.TextChoices):
    MICRO = "micro", _("micro (up to 15 people)")
    SMALL = "small", _("small (16–100)")
    MEDIUM = "medium", _("medium (101–250)")
    LARGE = "large", _("large (over 250)")


class NotOursReason(models.TextChoices):
    WRONG_PROFILE = "wrong_profile", _("not the profile we serve")
    UNPROFITABLE = "unprofitable", _("costs more to serve than brings")
    CONFLICT = "conflict", _("conflicts, complaints, abuse")
    COMPETITOR = "competitor", _("a competitor or a reseller")
    ASKED = "asked", _("asked not to be contacted")
    OTHER = "other", _("other")


class CommitteeRole(models.TextChoices):
    DECISION_MAKER = "decision_maker", _("decision maker")
    ECONOMIC_BUYER = "economic_buyer", _("economic buyer")
    TECHNICAL_BUYER = "technical_buyer", _("technical buyer")
    USER = "user", _("user")
    BLOCKER = "blocker", _("blocker")


class RfmCell(models.TextChoices):
    """The named cells of the RFM grid (engine.discovery.CELLS says which (R, F) pairs each holds)."""

    CHAMPIONS = "champions", _("champions")
    LOYAL = "loyal", _("loyal")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("potential loyalists")
    NEW_CUSTOMERS = "new_customers", _("new customers")
    PROMISING = "promising", _("promising")
    NEED_ATTENTION = "need_attention", _("need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("about to sleep")
    AT_RISK = "at_risk", _("at risk")
    CANNOT_LOSE = "cannot_lose", _("cannot lose them")
    HIBERNATING = "hibernating", _("hibernating")


RFM_CELL_COLOURS = {
    "champions": "#1b5e20", "loyal": "#2e7d32", "potential_loyalists": "#66bb6a", "new_customers": "#9ccc65",
    "promising": "#c5e1a5", "need_attention": "#ffe082", "about_to_sleep": "#ffb300", "at_risk": "#fb8c00",
    "cannot_lose": "#e53935", "hibernating": "#9e9e9e",
}
# Cells light enough to need dark text.
LIGHT_CELLS = frozenset({"new_customers", "promising", "need_attention"})
