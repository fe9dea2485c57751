"""Forms of discovery: the segment editor, an interview record, a "not our client" mark, a committee member."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from romashka.discovery.choices import CommitteeRole, NotOursReason, SegmentField
from romashka.discovery.models import Interview
from romashka.discovery.services import ConditionSpec, SegmentSpec, decimal_or_none


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConditionForm(forms.Form):
    field = forms.ChoiceField(label=_("characteristic"), required=False,
                              choices=[("", "—"), *SegmentField.choices])
    values = forms.CharField(label=_("values"), required=False, max_length=1000,
                             help_text=_("Comma-separated, as written in the client cards."))
    min_value = forms.CharField(label=pgettext_lazy("band", "from"), required=False, max_length=20)
    max_value = forms.CharField(label=pgettext_lazy("band", "to"), required=False, max_length=20)

    def clean(self):
        data = super().clean()
        for name in ("min_value", "max_value"):
            try:
                data[name] = decimal_or_none(data.get(name))
            except ValueError:
                self.add_error(name, _("Not a number."))
        return data

    def condition(self) -> ConditionSpec | None:
        data = self.cleaned_data
        if not data.get("field"):
            return None
        return ConditionSpec(field=data["field"], values=[v for v in data.get("values", "").split(",") if v.strip()],
                             min_value=data.get("min_value"), max_value=data.get("max_value"))


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0, min_num=3, max_num=3)


def _filled(conditions) -> list[ConditionForm]:
    """The condition rows with a characteristic chosen, in order: the spec's conditions are these."""
    return [f for f in conditions.forms if f.cleaned_data.get("field")]


def segment_spec(form: SegmentForm, conditions) -> SegmentSpec:
    return SegmentSpec(name=form.cleaned_data["name"], description=form.cleaned_data.get("description", ""),
                       conditions=[f.condition() for f in _filled(conditions)])


def segment_errors_show(error, form: SegmentForm, conditions) -> None:
    """The service's problems ("name", "conditions.1.max_value", …) on the fields the user filled in."""
    filled = _filled(conditions)
    for field, problems in error.message_dict.items():
        parts = field.split(".")
        if field in form.fields:
            form.add_error(field, problems)
        elif len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(filled):
            row = filled[int(parts[1])]
            row.add_error(parts[2] if parts[2] in row.fields else None, problems)
        else:
            form.add_error(None, problems)


def condition_initial(segment) -> list[dict]:
    rows = [{"field": c.field, "values": c.values, "min_value": c.min_value if c.min_value is not None else "",
             "max_value": c.max_value if c.max_value is not None else ""} for c in segment.conditions.all()]
    return rows + [{}] * (3 - len(rows))


class InterviewForm(forms.ModelForm):
    class Meta:
        model = Interview
        fields = ["interviewed_on", "situation", "job", "job_text", "expected_result", "missing", "channels",
                  "competitors", "pays_more", "pays_more_amount", "notes"]
        widgets = {
            "interviewed_on": forms.DateInput(attrs={"type": "date"}),
            "situation": forms.Textarea(attrs={"rows": 2}),
            "job_text": forms.Textarea(attrs={"rows": 2}),
            "expected_result": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "pays_more": forms.Select(choices=[("", "—"), (True, _("yes")), (False, _("no"))]),
        }

    def __init__(self, *args, organisation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["job"].queryset = self.fields["job"].queryset.filter(organisation_id=organisation_id)


class NotOursForm(forms.Form):
    party = forms.IntegerField(label=_("client id"), required=False, min_value=1)
    segment = forms.TypedChoiceField(label=_("or a segment"), required=False, coerce=int, empty_value=None)
    reason = forms.ChoiceField(label=_("reason"), choices=NotOursReason.choices)
    note = forms.CharField(label=_("note"), required=False, max_length=2000)


class CommitteeMemberForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=300)
    role = forms.ChoiceField(label=_("role"), choices=CommitteeRole.choices)
    position = forms.CharField(label=_("position"), max_length=200, required=False)
    email = forms.EmailField(label=_("e-mail"), required=False)


class RfmBoundsForm(forms.Form):
    recency_days = forms.CharField(label=_("recency bounds, days"), required=False, max_length=100,
                                   widget=forms.TextInput(attrs={"placeholder": "7, 30, 90, 180"}))
    frequency = forms.CharField(label=_("frequency bounds, purchase days"), required=False, max_length=100,
                                widget=forms.TextInput(attrs={"placeholder": "2, 3, 5, 10"}))
    monetary = forms.CharField(label=_("money bounds, ₽"), required=False, max_length=100,
                               widget=forms.TextInput(attrs={"placeholder": "1000, 3000, 10000, 30000"}))


class CategoryCostForm(forms.Form):
    """A product category's cost as a share of its price, for the network or one location (checked by the service)."""

    category = forms.CharField(label=_("product category"), max_length=100, required=False)
    location = forms.TypedChoiceField(label=_("location"), required=False, coerce=int, empty_value=None)
    cost_percent = forms.CharField(label=_("cost, per cent of the price"), max_length=20, required=False,
                                   widget=forms.TextInput(attrs={"placeholder": "32", "inputmode": "decimal"}))

    def __init__(self, *args, categories: list[str], locations: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget = forms.TextInput(attrs={"list": "cost-categories"})
        self.categories = categories
        self.fields["location"].choices = [("", _("the whole network"))] + [(pk, code) for pk, code in locations]
