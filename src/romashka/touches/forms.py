"""Forms of the standards editor and of marking a task done."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Employee
from romashka.discovery.choices import CommitteeRole
from romashka.discovery.models import Segment
from romashka.touches.choices import (
    EXECUTOR_OUTCOMES,
    DelayBasis,
    ExecutorRule,
    LeavingReason,
    TouchChannel,
    Trigger,
)
from romashka.touches.services import StandardSpec, StepSpec


class TaskDoneForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=[(o.value, o.label) for o in EXECUTOR_OUTCOMES])
    leaving_reason = forms.ChoiceField(label=_("reason for leaving"), required=False,
                                       choices=[("", "—"), *LeavingReason.choices])
    note = forms.CharField(label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class StandardForm(forms.Form):
    trigger = forms.ChoiceField(label=_("status entry"), choices=Trigger.choices)
    name = forms.CharField(label=_("name"), max_length=200)
    is_active = forms.BooleanField(label=_("active"), required=False, initial=True)
    control_percent = forms.IntegerField(label=_("control group, %"), min_value=0, max_value=90, initial=10,
                                         help_text=_("Entering clients who get no touch, to measure the uplift."))
    conversion_days = forms.IntegerField(label=_("conversion window, days"), min_value=1, max_value=730, initial=30)
    responsible = forms.ModelChoiceField(label=_("responsible"), queryset=get_user_model().objects.none(),
                                         required=False)
    segment = forms.ModelChoiceField(label=_("segment"), queryset=Segment.objects.none(), required=False,
                                     help_text=_("Only clients of this segment enter; empty: every client."))

    def __init__(self, *args, organisation_id: int, editing: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = get_user_model().objects.filter(
            membership__organisation_id=organisation_id).order_by("last_name", "username")
        self.fields["responsible"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["segment"].queryset = Segment.objects.filter(organisation_id=organisation_id)
        if editing:
            self.fields["trigger"].disabled = True


class StepForm(forms.Form):
    title = forms.CharField(label=_("touch"), max_length=200)
    # Initial values equal to what an untouched blank step posts, so the editor's spare step is skipped.
    channel = forms.ChoiceField(label=_("channel"), choices=TouchChannel.choices, initial=TouchChannel.CALL)
    delay_days = forms.IntegerField(label=_("delay, days"), min_value=-365, max_value=730, initial=0)
    delay_basis = forms.ChoiceField(label=_("counted from"), choices=DelayBasis.choices, initial=DelayBasis.ENTRY)
    template_ru = forms.CharField(label=_("message (Russian)"), widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("Placeholders: {name}, {last_purchase}, {location}, {offer}."))
    template_en = forms.CharField(label=_("message (English)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    offer = forms.CharField(label=_("personal offer"), max_length=300, required=False)
    aims_at_purchase = forms.BooleanField(label=_("aims at a purchase"), required=False, initial=True)
    asks_leaving_reason = forms.BooleanField(label=_("asks why the client left"), required=False)
    executor_rule = forms.ChoiceField(label=_("executor"), choices=ExecutorRule.choices,
                                      initial=ExecutorRule.LOCATION_MANAGER)
    executor_position = forms.CharField(label=_("position"), max_length=100, required=False)
    executor_employee = forms.ModelChoiceField(label=_("named person"), queryset=Employee.objects.none(),
                                               required=False)
    committee_role = forms.ChoiceField(
        label=_("committee role"), choices=[("", "—"), *CommitteeRole.choices], required=False,
        help_text=_("For business clients: the buying-committee member this step speaks to; empty: the client."))

    def __init__(self, *args, organisation_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["executor_employee"].queryset = (
            Employee.objects.filter(party__organisation_id=organisation_id, left_on__isnull=True)
            .select_related("party").order_by("party__name"))
        self.fields["executor_employee"].label_from_instance = lambda e: f"{e.party.name} ({e.position})"

    def step_spec(self) -> StepSpec:
        data = self.cleaned_data
        employee = data.get("executor_employee")
        return StepSpec(
            channel=data["channel"], title=data["title"], template_ru=data["template_ru"],
            template_en=data.get("template_en", ""), delay_days=data["delay_days"], delay_basis=data["delay_basis"],
            offer=data.get("offer", ""), aims_at_purchase=data.get("aims_at_purchase", False),
            asks_leaving_reason=data.get("asks_leaving_reason", False), executor_rule=data["executor_rule"],
            executor_position=data.get("executor_position", ""), executor_employee_id=employee.pk if employee else None,
            committee_role=data.get("committee_role", ""),
        )


class BaseStepFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]:
            raise forms.ValidationError(_("A standard needs at least one step."))


StepFormSet = forms.formset_factory(StepForm, formset=BaseStepFormSet, extra=1, can_delete=True)


def standard_spec(form: StandardForm, steps) -> StandardSpec:
    data = form.cleaned_data
    responsible = data.get("responsible")
    return StandardSpec(
        name=data["name"], is_active=data.get("is_active", False),
        control_share=Decimal(data["control_percent"]) / 100, conversion_days=data["conversion_days"],
        responsible_id=responsible.pk if responsible else None,
        segment_id=data["segment"].pk if data.get("segment") else None,
        steps=[f.step_spec() for f in steps.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")],
    )


def step_initial(version) -> list[dict]:
    return [{
        "title": s.title, "channel": s.channel, "delay_days": s.delay_days, "delay_basis": s.delay_basis,
        "template_ru": s.template_ru, "template_en": s.template_en, "offer": s.offer,
        "aims_at_purchase": s.aims_at_purchase, "asks_leaving_reason": s.asks_leaving_reason,
        "executor_rule": s.executor_rule, "executor_position": s.executor_position,
        "executor_employee": s.executor_employee_id, "committee_role": s.committee_role,
    } for s in version.steps.all()]
