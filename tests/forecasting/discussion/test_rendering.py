"""Markdown to HTML through markdown-it-py and nh3: what is allowed renders, classic XSS payloads come out inert.

"Inert" is checked on the parsed output (html.parser), not by string matching alone: every element must be in the
allow-list, no attribute may start with "on", style or src, and every href must be http, https or mailto."""
import re
from html.parser import HTMLParser

import pytest

from forecasting.discussion.rendering import ALLOWED_TAGS, render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="window.__xss=1">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="javascript:alert(1)">click</a>',
    "<a href=\"&#106;avascript:alert(1)\">click</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#58;alert(1))",
    "[x](java\tscript:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](http://example.com/a.png "title" onerror=alert(1))',
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x]: javascript:alert(1)\n\n[click][x]",
    '[x](http://example.com" onmouseover="alert(1))',
    "<details open ontoggle=alert(1)>",
    "<body onload=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<!--<script>alert(1)</script>-->",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "<input autofocus onfocus=alert(1)>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=javascript:alert(1)//>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "> <img src=x onerror=alert(1)>",
    "- <svg/onload=alert(1)>",
    "**<img src=x onerror=alert(1)>**",
]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def parsed(html: str):
    collector = _Collector()
    collector.feed(html)
    return collector.elements


def assert_inert(html: str):
    for tag, attrs in parsed(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            assert name in {"href", "rel", "start"}, (name, html)
            if name == "href":
                assert value.split(":", 1)[0].lower() in {"http", "https", "mailto"} and ":" in value, (value, html)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_render_inert(payload):
    html = render_markdown(payload)
    assert_inert(html)
    # Every raw "<" in the output opens an allowed tag; whatever else the payload had is escaped text (&lt;).
    opened = {m.lower() for m in re.findall(r"<\s*/?\s*([a-zA-Z][a-zA-Z0-9:-]*)", html)}
    assert opened <= ALLOWED_TAGS, (opened, html)
    assert "<!--" not in html


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_stay_inert_in_every_markdown_context(payload):
    for wrapped in (f"> {payload}", f"1. {payload}", f"*{payload}*", f"[{payload}](https://example.com)",
                    f"text\n\n{payload}\n\nmore"):
        assert_inert(render_markdown(wrapped))


def test_raw_html_is_shown_as_text():
    assert render_markdown("<b>bold?</b>") == "<p>&lt;b&gt;bold?&lt;/b&gt;</p>"


@pytest.mark.parametrize("markdown, html", [
    ("**strong** and *em*", "<p><strong>strong</strong> and <em>em</em></p>"),
    ("`code`", "<p><code>code</code></p>"),
    ("```\nx = 1\n```", "<pre><code>x = 1\n</code></pre>"),
    ("> quoted", "<blockquote>\n<p>quoted</p>\n</blockquote>"),
    ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
    ("3. third", '<ol start="3">\n<li>third</li>\n</ol>'),
    ("line one\nline two", "<p>line one<br>\nline two</p>"),
    ("[ESMO](https://www.esmo.org/)", '<p><a href="https://www.esmo.org/" rel="nofollow noopener ugc">ESMO</a></p>'),
    ("<https://clinicaltrials.gov/study/NCT05552976>",
     ('<p><a href="https://clinicaltrials.gov/study/NCT05552976" rel="nofollow noopener ugc">'
      "https://clinicaltrials.gov/study/NCT05552976</a></p>")),
    ("[mail](mailto:team@example.com)", '<p><a href="mailto:team@example.com" rel="nofollow noopener ugc">mail</a></p>'),
])
def test_allowed_markdown_renders(markdown, html):
    assert render_markdown(markdown) == html


def test_links_carry_no_target_and_a_fixed_rel():
    html = render_markdown('[x](https://example.com "t")')
    assert "target=" not in html and 'rel="nofollow noopener ugc"' in html


def test_images_headings_and_rules_are_not_rendered_as_such():
    html = render_markdown("![chart](https://example.com/c.png)\n\n# Title\n\n---")
    assert "<img" not in html and "<h1" not in html and "<hr" not in html
    assert_inert(html)


def test_the_longest_body_and_deep_nesting_render_quickly():
    import time

    start = time.perf_counter()
    for body in (">" * 10_000, "- " * 5_000, "*" * 10_000, "[" * 5_000 + "](" * 2_500, "`" * 10_000):
        assert_inert(render_markdown(body + "x"))
    assert time.perf_counter() - start < 5
