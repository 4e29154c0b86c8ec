"""Public help-centre pages: home, category, article (with the helpful vote), search."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpcenter import selectors, services
from helpcenter.models import Article, Category, HelpSearch


@require_GET
def home(request):
    language = selectors.language_of(request)
    return render(request, "helpcenter/home.html", {
        "categories": selectors.categories_list(language=language),
        "popular": selectors.articles_popular(language=language),
    })


@require_GET
def category(request, slug):
    language = selectors.language_of(request)
    found = get_object_or_404(Category, slug=slug)
    return render(request, "helpcenter/category.html", {
        "category": found, "category_name": found.name_in(language),
        "articles": selectors.category_articles(found, language=language),
    })


@require_GET
def article(request, slug):
    # ?language= picks the article's language: the links agents send open in the customer's language.
    language = selectors.language_of(request, request.GET.get("language"))
    view = selectors.article_get(slug, language=language, include_drafts=request.user.is_staff)
    if view is None:
        raise Http404
    voted = request.session.get("helpcenter_votes", {}).get(slug)
    return render(request, "helpcenter/article.html", {
        "view": view, "category_name": view.article.category.name_in(language),
        "related": selectors.related_articles(view.article, language=language), "voted": voted,
    })


@require_POST
def vote(request, slug):
    found = get_object_or_404(Article, slug=slug, status=Article.Status.PUBLISHED)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return redirect(found)
    if request.session.session_key is None:
        request.session.save()
    try:
        services.vote_record(
            found, language=selectors.language_of(request), helpful=helpful == "yes",
            session_key=request.session.session_key, user=request.user, client=request.META.get("REMOTE_ADDR", ""),
        )
    except services.VoteLimited:
        messages.error(request, _("Too many votes from your connection. Please try again later."))
        return redirect(found)
    request.session["helpcenter_votes"] = {**request.session.get("helpcenter_votes", {}), slug: helpful}
    messages.success(request, _("Thank you for your feedback."))
    return redirect(found)


@require_GET
def search(request):
    language = selectors.language_of(request)
    query = (request.GET.get("q") or "").strip()[:200]
    hits = selectors.articles_search(query, language=language, limit=20) if query else []
    if query:
        services.search_log(query, source=HelpSearch.Source.PAGE, language=language, hits=len(hits), user=request.user)
    return render(request, "helpcenter/search.html", {"query": query, "hits": hits})
