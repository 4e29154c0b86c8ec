from django.contrib import admin
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from helpcenter.models import Article, ArticleTranslation, Category, HelpfulVote, HelpSearch
from helpcenter.rendering import render_markdown
from support.admin import LogAdmin


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}


class TranslationInline(admin.StackedInline):
    model = ArticleTranslation
    extra = 1
    fields = ["language", "title", "body", "keywords", "preview", "updated_at"]
    readonly_fields = ["preview", "updated_at"]

    @admin.display(description=_("preview"))
    def preview(self, obj):
        # Sanitised by render_markdown (nh3): safe to show as HTML.
        return mark_safe(f'<div class="help-preview">{render_markdown(obj.body)}</div>') if obj and obj.pk else "—"


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["slug", "category", "status", "languages", "helpful_yes", "helpful_no", "updated_at"]
    list_filter = ["status", "category", "translations__language"]
    search_fields = ["slug", "translations__title"]
    filter_horizontal = ["related"]
    inlines = [TranslationInline]
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations", "votes")

    @admin.display(description=_("languages"))
    def languages(self, obj):
        return ", ".join(sorted(t.language for t in obj.translations.all()))

    @admin.display(description=_("helpful"))
    def helpful_yes(self, obj):
        return sum(1 for v in obj.votes.all() if v.helpful)

    @admin.display(description=_("not helpful"))
    def helpful_no(self, obj):
        return sum(1 for v in obj.votes.all() if not v.helpful)

    @admin.action(description=_("Publish selected articles"))
    def publish(self, request, queryset):
        for article in queryset:
            article.status = Article.Status.PUBLISHED
            article.save(update_fields=["status", "updated_at"])

    @admin.action(description=_("Move selected articles back to draft"))
    def unpublish(self, request, queryset):
        for article in queryset:
            article.status = Article.Status.DRAFT
            article.save(update_fields=["status", "updated_at"])


@admin.register(HelpfulVote)
class HelpfulVoteAdmin(admin.ModelAdmin):
    list_display = ["article", "language", "helpful", "created_at"]
    list_filter = ["helpful", "language"]
    readonly_fields = ["article", "language", "helpful", "session_key", "user", "created_at"]

    def has_add_permission(self, request):
        return False


class NoResultFilter(admin.SimpleListFilter):
    title = _("results")
    parameter_name = "found"

    def lookups(self, request, model_admin):
        return [("no", _("no result")), ("yes", _("some results"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(hits=0)
        if self.value() == "yes":
            return queryset.filter(hits__gt=0)
        return queryset


@admin.register(HelpSearch)
class HelpSearchAdmin(LogAdmin):
    """What customers searched for and whether an article solved it (queries pass the secret shield first)."""

    list_display = ["created_at", "source", "language", "query", "hits", "outcome", "solved_by"]
    list_filter = ["source", "outcome", "language", NoResultFilter, "created_at"]
    search_fields = ["query_key"]
    list_select_related = ["solved_by"]
