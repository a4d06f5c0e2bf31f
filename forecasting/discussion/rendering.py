"""Comment bodies from Markdown to safe HTML: markdown-it-py renders (raw HTML off, images off), then nh3 (a Rust
HTML sanitizer, ammonia) keeps only an allow-list of tags and attributes. The sanitizer is the guard: whatever the
renderer emits, including a bug of its own, passes through nh3 before it reaches a page or the API.

Allowed: p, br, em, strong, code, pre, blockquote, ul, ol, li, and a with an http, https or mailto href (nh3 drops
any other scheme: javascript:, data:, vbscript:, entity-encoded or not) and ``rel="nofollow noopener ugc"``. No
images, headings, tables, styles, classes or event handlers. Links open in the same tab.
"""
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener ugc"

# CommonMark with raw HTML off: "<script>" is text. Images, headings, rules and reference-style definitions
# are switched off too (not in the allow-list; a heading would lose its tag and run into the next line).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True})
_md.disable(["image", "heading", "lheading", "hr", "html_block", "html_inline"])


def _sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


@lru_cache(maxsize=512)  # a page renders at most a few hundred bodies
def render_markdown(body: str) -> str:
    """``body`` (Markdown as typed) as sanitized HTML, safe to mark safe in a template. Pure: cached by body."""
    return _sanitize(_md.render(body)).strip()
