"""The help centre over REST, open to everyone (apps, the chat widget), rate-limited; suggestions while typing."""
import re
import uuid

from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from chat.permissions import is_chat_agent
from chat.selectors import conversation_get_for
from helpcenter import assist, selectors, services
from helpcenter.models import Article, HelpSearch
from support.models.accounts import SUPPORT_LANGUAGES
from tickets.permissions import is_ticket_staff
from tickets.selectors import ticket_get_for


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
        language = self._language(request)
        hits = selectors.articles_search(query, language=language)
        services.search_log(query, source=HelpSearch.Source.API, language=language, hits=len(hits), user=request.user)
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


class SuggestThrottle(AnonRateThrottle):
    scope = "help-suggest"
    rate = "300/min"


class SuggestUserThrottle(UserRateThrottle):
    scope = "help-suggest-user"
    rate = "600/min"


class SuggestionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    language = serializers.CharField()
    title = serializers.CharField()
    title_html = serializers.CharField(help_text="Title, HTML-escaped, matched terms in <mark>.")
    snippet_html = serializers.CharField(help_text="Excerpt, HTML-escaped, matched terms in <mark>.")
    url = serializers.CharField()


class SuggestView(_Public):
    """Articles for what a customer is writing (a new ticket, a chat question), as they type.

    With `attempt` (a UUID the page makes per form) and `context`, a signed-in customer's latest query and the
    number of suggestions are kept for the deflection figures; nothing else is stored."""

    throttle_classes = [SuggestThrottle, SuggestUserThrottle]  # typing sends many requests (debounced by the page)
    LIMIT = 3

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=False, description="What the customer has written so far (first 200 characters are used)."),
            LANGUAGE_PARAM,
            OpenApiParameter("context", str, enum=["ticket", "chat"], required=False),
            OpenApiParameter("attempt", str, required=False, description="UUID of this form's attempt (signed-in customers)."),
        ],
        responses=SuggestionSerializer(many=True),
    )
    def get(self, request):
        query = (request.query_params.get("q") or "").strip()[:200]
        language = self._language(request)
        context = request.query_params.get("context") or ""
        if context and context not in (HelpSearch.Source.TICKET, HelpSearch.Source.CHAT):
            raise ValidationError({"context": ["ticket or chat."]})
        attempt = _attempt_param(request.query_params.get("attempt"))
        hits = (
            selectors.articles_search(query, language=language, limit=self.LIMIT, semantic_wait=settings.HELP_SUGGEST_SEMANTIC_WAIT)
            if len(query) >= 3 else []
        )
        if attempt and context and request.user.is_authenticated and not request.user.is_staff:
            services.attempt_update(attempt, user=request.user, source=context, language=language, query=query, hits=len(hits))
        return Response(SuggestionSerializer(
            [{"slug": h.slug, "language": h.language, "title": h.title, "title_html": h.title_html,
              "snippet_html": h.snippet_html, "url": f"/help/a/{h.slug}/"} for h in hits], many=True,
        ).data)


def _attempt_param(value):
    if not value:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ValidationError({"attempt": ["Must be a UUID."]}) from None


class SolvedSerializer(serializers.Serializer):
    attempt = serializers.UUIDField()
    article = serializers.SlugField(help_text="Slug of the article that solved it.")


class SuggestSolvedView(APIView):
    """"This solved it": ends the customer's attempt as deflected (counted on the supervisor dashboard)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=SolvedSerializer,
        responses={204: None, 404: OpenApiResponse(description="No open attempt of yours with that id, or no such published article.")},
    )
    def post(self, request):
        data = SolvedSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article = Article.objects.filter(slug=data.validated_data["article"], status=Article.Status.PUBLISHED).first()
        if article is None or not services.attempt_solved(data.validated_data["attempt"], user=request.user, article=article):
            raise Http404  # unknown article, or no open attempt of this customer's with that id
        return Response(status=204)


# -- agent assistance: articles and canned replies beside a case (docs/chat-protocol.md) ---------------------


class AgentAssistThrottle(UserRateThrottle):
    scope = "agent-assist"
    rate = "120/min"  # the console asks once per customer message (debounced) and per chat opened


class ArticleSuggestionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField(help_text="In the customer's language, or English when the article is not translated.")
    language = serializers.CharField(help_text="Language of the title and of the page the link opens.")
    snippet = serializers.CharField(help_text="Plain-text excerpt.")
    url = serializers.CharField(help_text="Absolute URL on the desk's address, opening in that language.")
    insert_text = serializers.CharField(help_text='What "Insert link" puts into the reply: "Title: URL".')


class CannedSuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.CharField()
    category = serializers.CharField(help_text="Empty for a general reply.")
    body = serializers.CharField(help_text="Placeholders filled for this case; one without a value stays as written.")
    match = serializers.ChoiceField(choices=["category", "general"])


class AgentSuggestionsSerializer(serializers.Serializer):
    language = serializers.CharField(help_text="The case's language.")
    articles = ArticleSuggestionSerializer(many=True)
    canned = CannedSuggestionSerializer(many=True, help_text="Best first: the case's category, then general replies.")


_CASE_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


class AgentSuggestionsView(APIView):
    """Help articles and canned replies for one case an agent works on: `ticket=<reference>` or
    `conversation=<chat id>`. Agents only (anyone else 403); a case the agent may not see is a 404, as in the
    console and the admin: a chat must be assigned or offered to them (supervisors: any)."""

    throttle_classes = [AgentAssistThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("ticket", str, required=False, description="A ticket's reference (SUP-…)."),
            OpenApiParameter("conversation", str, required=False, description="A chat's id, as in the console."),
        ],
        responses={
            200: AgentSuggestionsSerializer,
            404: OpenApiResponse(
                response=inline_serializer("AgentSuggestionsNotFound", {"detail": serializers.CharField()}),
                description="No such ticket or chat, or not one this agent may see.",
            ),
        },
    )
    def get(self, request):
        user = request.user
        if not (is_ticket_staff(user) or is_chat_agent(user)):
            raise PermissionDenied("Suggestions are for agents.")
        reference = (request.query_params.get("ticket") or "").strip()
        public_id = (request.query_params.get("conversation") or "").strip()
        if bool(reference) == bool(public_id):
            raise ValidationError({"detail": "Give either ticket or conversation."})
        if not _CASE_ID.fullmatch(reference or public_id):
            raise Http404
        if reference:
            ticket = ticket_get_for(user, reference)
            if not is_ticket_staff(user):
                raise Http404
            found = assist.suggestions_for_ticket(ticket, agent=user)
        else:
            conversation = conversation_get_for(user, public_id)
            if not is_chat_agent(user) or conversation.customer_id == user.pk:
                raise Http404
            found = assist.suggestions_for_conversation(conversation, agent=user)
        return Response(AgentSuggestionsSerializer(found).data)
