"""Help-centre articles: categories, articles with one translation per language, helpful votes."""
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from support.models.accounts import SUPPORT_LANGUAGES

FALLBACK_LANGUAGE = "en"


class Category(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(_("name (English)"), max_length=100)
    names = models.JSONField(
        _("names in other languages"), default=dict, blank=True,
        help_text=_('Language code to name, e.g. {"zh-hans": "账户"}.'),
    )

    class Meta:
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")
        ordering = ["order", "slug"]

    def __str__(self):
        return self.name

    def name_in(self, language: str) -> str:
        return (self.names or {}).get(language) or self.name

    def get_absolute_url(self):
        return reverse("helpcenter:category", args=[self.slug])


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    related = models.ManyToManyField("self", symmetrical=False, blank=True, verbose_name=_("related articles"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["category__order", "order", "slug"]

    def __str__(self):
        return self.slug

    def get_absolute_url(self):
        return reverse("helpcenter:article", args=[self.slug])


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations", verbose_name=_("article"))
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    keywords = models.CharField(
        _("search keywords"), max_length=500, blank=True,
        help_text=_("Other words customers use for this topic; searched, not shown."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [models.UniqueConstraint(fields=["article", "language"], name="helpcenter_one_translation_per_language")]

    def __str__(self):
        return f"{self.article.slug} [{self.language}]"


class HelpfulVote(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes", verbose_name=_("article"))
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES)
    helpful = models.BooleanField(_("helpful"))
    session_key = models.CharField(_("session"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("helpful vote")
        verbose_name_plural = _("helpful votes")
        constraints = [models.UniqueConstraint(fields=["article", "session_key"], name="helpcenter_one_vote_per_session")]


class HelpSearch(models.Model):
    """One customer search: a query on the help pages or API, or a suggestion attempt while writing a ticket or
    starting a chat (one row per attempt, updated as the customer types; its outcome says whether an article
    solved it or the request was sent anyway). Queries pass the secret shield before they are stored."""

    class Source(models.TextChoices):
        PAGE = "page", _("help-centre page")
        API = "api", _("API")
        TICKET = "ticket", _("new ticket form")
        CHAT = "chat", _("chat start")

    class Outcome(models.TextChoices):
        NONE = "", _("none yet")
        SOLVED = "solved", _("solved by an article")
        SUBMITTED = "submitted", _("sent to support")

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES)
    query = models.CharField(_("query"), max_length=200)
    query_key = models.CharField(_("query (normalised)"), max_length=200, db_index=True)
    hits = models.PositiveSmallIntegerField(_("results"))
    attempt = models.UUIDField(_("attempt"), null=True, blank=True, unique=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True, default="")
    solved_by = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("solved by")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("user")
    )

    class Meta:
        verbose_name = _("help-centre search")
        verbose_name_plural = _("help-centre searches")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at", "hits"], name="helpcenter_search_when_hits")]

    def __str__(self):
        return self.query
