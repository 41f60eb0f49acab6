"""Forms of the output-checking pages: field errors carry the policy's or intake's sentence."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from mdp.outputs.enums import Visibility, Vote
from mdp.registry.models import Project


class NewRequestForm(forms.Form):
    project = forms.ModelChoiceField(queryset=Project.objects.none(), empty_label=None)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = Project.objects.filter(memberships__user=user).order_by("acronym")


class AddFileForm(forms.Form):
    # Free text, not a choice: the path is judged by intake, whose refusal says why.
    path = forms.CharField(max_length=400, help_text=_("A file in the project's OUT folder."))
    context = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                              help_text=_("What the output shows, the population and period, how it was made."))
    controls = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000,
                               help_text=_("Disclosure controls applied: suppression, rounding, thresholds, ACRO."))


class VoteForm(forms.Form):
    vote = forms.ChoiceField(choices=Vote.choices, widget=forms.RadioSelect)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000, required=False)
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.PRIVATE)

    def clean(self):
        data = super().clean()
        if data.get("vote") == Vote.CHANGES and not (data.get("comment") or "").strip():
            self.add_error("comment", gettext("Say which changes are needed."))
        return data
