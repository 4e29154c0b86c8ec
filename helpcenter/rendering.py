"""Markdown to sanitised HTML: only basic tags survive, links keep http(s)/mailto/relative targets and get rel=noopener."""
import html

import markdown
import nh3

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(body: str) -> str:
    html = markdown.markdown(body or "", extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_text(body: str) -> str:
    """The article as text (for snippets): rendered, then every tag dropped."""
    return " ".join(html.unescape(nh3.clean(render_markdown(body), tags=set())).split())
