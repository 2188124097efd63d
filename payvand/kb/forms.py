from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from payvand.core.forms import BootstrapForm
from payvand.kb.models import Article, Category


class ArticleForm(BootstrapForm):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(
        label=_("Address name"), max_length=120, required=False, help_text=_("Empty: made from the title.")
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        required=False,
        help_text=_("Shown in search results and as the page description."),
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}), max_length=200_000)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Article.Visibility.choices)
    state = forms.ChoiceField(label=_("State"), choices=Article.State.choices)
    translation_of = forms.ModelChoiceField(
        label=_("Translation of"),
        queryset=Article.objects.all(),
        required=False,
        help_text=_("Links the article to the same article in another language."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CategoryForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    slug = forms.SlugField(label=_("Address name"), max_length=80, allow_unicode=True)
