"""The help centre over REST, open to everyone (apps, the chat widget), read-only and rate-limited."""
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from helpcenter import selectors
from support.models.accounts import SUPPORT_LANGUAGES


class HelpThrottle(AnonRateThrottle):
    rate = "120/min"


class HelpUserThrottle(UserRateThrottle):
    rate = "240/min"


class HitSerializer(serializers.Serializer):
    slug = serializers.CharField()
    language = serializers.CharField(help_text="Language of the matched translation.")
    title = serializers.CharField()
    title_html = serializers.CharField(help_text="Title, HTML-escaped, matched terms in <mark>.")
    snippet_html = serializers.CharField(help_text="Excerpt, HTML-escaped, matched terms in <mark>.")
    category = serializers.CharField()
    score = serializers.FloatField()
    url = serializers.CharField()


class RelatedSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    language = serializers.CharField()
    url = serializers.CharField()


class ArticleSerializer(serializers.Serializer):
    slug = serializers.CharField()
    category = serializers.CharField()
    language = serializers.CharField(help_text="Language shown: the one asked for, else English.")
    translated = serializers.BooleanField(help_text="False when the requested language is missing and English is shown.")
    title = serializers.CharField()
    body_html = serializers.CharField(help_text="Sanitised HTML rendered from the Markdown body.")
    updated_at = serializers.DateTimeField()
    related = RelatedSerializer(many=True)
    url = serializers.CharField()


LANGUAGE_PARAM = OpenApiParameter("language", str, enum=[code for code, _ in SUPPORT_LANGUAGES], required=False)


class _Public(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [HelpThrottle, HelpUserThrottle]

    def _language(self, request) -> str:
        requested = request.query_params.get("language")
        if requested and requested not in selectors.LANGUAGE_CODES:
            raise ValidationError({"language": ["Unknown language."]})
        return selectors.language_of(request, requested)


class HelpSearchView(_Public):
    @extend_schema(parameters=[OpenApiParameter("q", str, required=True), LANGUAGE_PARAM], responses=HitSerializer(many=True))
    def get(self, request):
        query = (request.query_params.get("q") or "").strip()
        if not query:
            raise ValidationError({"q": ["Type a few words of your question."]})
        if len(query) > 200:
            raise ValidationError({"q": ["At most 200 characters."]})
        hits = selectors.articles_search(query, language=self._language(request))
        return Response(HitSerializer([{**h.__dict__, "url": f"/help/a/{h.slug}/"} for h in hits], many=True).data)


class HelpArticleView(_Public):
    @extend_schema(parameters=[LANGUAGE_PARAM], responses=ArticleSerializer)
    def get(self, request, slug):
        language = self._language(request)
        view = selectors.article_get(slug, language=language)
        if view is None:
            raise Http404
        return Response(ArticleSerializer({
            "slug": view.article.slug, "category": view.article.category.slug, "language": view.language,
            "translated": view.translated, "title": view.title, "body_html": view.body_html,
            "updated_at": view.article.updated_at, "related": selectors.related_articles(view.article, language=language),
            "url": view.article.get_absolute_url(),
        }).data)
