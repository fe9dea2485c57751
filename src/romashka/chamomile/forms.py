"""The community initiative's form: what the owner or the CRM manager records, the photo checked by its bytes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from romashka.chamomile.models import CommunityInitiative
from romashka.core.choices import PartyKind
from romashka.core.models import Location, Party

PHOTO_MAX_BYTES = 5 * 1024 * 1024
# The first bytes of each image format accepted, and its extension.
PHOTO_SIGNATURES = [(b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png")]
INITIATIVE_PARTNER_KINDS = [PartyKind.COMMUNITY, PartyKind.BUSINESS_PARTNER, PartyKind.SUPPLIER,
                            PartyKind.FRANCHISE_PARTNER, PartyKind.INVESTOR]


def photo_extension(head: bytes) -> str | None:
    """jpg, png or webp when the file starts like one, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((extension for signature, extension in PHOTO_SIGNATURES if head.startswith(signature)), None)


class InitiativeForm(forms.ModelForm):
    link = forms.URLField(label=_("link"), required=False, max_length=200, assume_scheme="https")

    class Meta:
        model = CommunityInitiative
        fields = ["title", "held_on", "kind", "location", "reach", "cost", "partners", "link", "description", "photo"]
        widgets = {
            "held_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 4}),
            "partners": forms.SelectMultiple(attrs={"size": 6}),
            "photo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def __init__(self, *args, organisation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.filter(organisation_id=organisation_id)
        self.fields["location"].empty_label = _("the whole network")
        self.fields["partners"].queryset = (
            Party.objects.filter(organisation_id=organisation_id, roles__kind__in=INITIATIVE_PARTNER_KINDS)
            .distinct().order_by("name"))
        self.fields["partners"].help_text = _("Hold Ctrl (⌘ on a Mac) to choose several.")

    def clean_cost(self):
        cost = self.cleaned_data["cost"]
        if cost is not None and cost < 0:
            raise ValidationError(_("The cost cannot be negative."))
        return cost

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if not photo or not hasattr(photo, "content_type"):  # nothing new uploaded (kept or cleared)
            return photo
        if photo.size > PHOTO_MAX_BYTES:
            raise ValidationError(_("The photo is %(size).1f MB; at most 5 MB, please.")
                                  % {"size": photo.size / 1024 / 1024})
        head = photo.read(16)
        photo.seek(0)
        extension = photo_extension(head)
        if extension is None:
            raise ValidationError(_("Only a JPEG, PNG or WebP photo can be attached."))
        photo.name = f"photo.{extension}"
        return photo
