"""Comments in headless Chromium: XSS payloads posted through the real form never run for another reader, and a
reply and an edit work through the page.

The Content-Security-Policy is switched off for these tests (and the response is checked to carry none), so what
stops the payloads is the Markdown renderer and the sanitizer alone, not the CSP behind them."""
import pytest

from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<img src=x onerror=alert(1)>",
    "<script>window.__xss=2; alert(2)</script>",
    "[click me](javascript:window.__xss=3)",
    "[click me too](&#106;avascript:alert(3))",
    '<svg onload="window.__xss=4"></svg>',
    '<iframe src="javascript:parent.__xss=5"></iframe>',
    '<a href="javascript:window.__xss=6">raw link</a>',
    '<details open ontoggle="window.__xss=7">x</details>',
    "<style>#discussion{display:none}</style>",
    "<javascript:window.__xss=8>",
    '![x](x" onerror="window.__xss=9)',
    "[data](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9MTA8L3NjcmlwdD4=)",
    "**bold** <b onmouseover=alert(4)>hover</b>",
]


@pytest.fixture
def people(db):
    return {"author": factories.UserFactory(username="mallory"), "reader": factories.UserFactory(username="victor")}


@pytest.fixture
def question(db):
    return factories.QuestionFactory(title="Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?")


@pytest.fixture
def no_csp(settings):
    settings.CONTENT_SECURITY_POLICY = None


def log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("main input[name=username]", username)
    page.fill("main input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def post_comment(page, text):
    page.fill("#comment-body-new", text)
    page.click("[data-testid=comment-form] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "Your comment is posted." in page.locator("[data-testid=discussion-message]").inner_text()


INJECTED = """() => {
    const found = [];
    for (const el of document.querySelectorAll('#discussion *')) {
        for (const attr of el.attributes) {
            if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
            if (['href', 'src', 'action', 'srcdoc', 'data'].includes(attr.name)
                && /^\\s*(javascript|data|vbscript):/i.test(attr.value)) found.push(el.tagName + ' ' + attr.value);
        }
    }
    for (const el of document.querySelectorAll(
            '.comment-body img, .comment-body svg, .comment-body iframe, .comment-body script, '
            + '.comment-body style, .comment-body object, .comment-body embed, .comment-body details, '
            + '.comment-body b, .comment-body [style]')) found.push('element ' + el.tagName);
    return found;
}"""


def test_xss_payloads_never_run_for_another_reader(live_server, page, browser, people, question, no_csp):
    base = live_server.url
    log_in(page, base, "mallory")
    url = f"{base}{question.get_absolute_url()}"
    page.goto(url)
    for payload in PAYLOADS:
        post_comment(page, payload)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    reader = context.new_page()
    dialogs = []
    reader.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        log_in(reader, base, "victor")
        response = reader.goto(url)
        assert "content-security-policy" not in response.headers  # the sanitizer alone is on trial here
        reader.wait_for_load_state("networkidle")
        reader.wait_for_timeout(300)
        comments = reader.locator("[data-testid=comment-body]")
        assert comments.count() == len(PAYLOADS)
        # The links that did survive are only ordinary ones; hover and click whatever is in the bodies.
        for i in range(comments.count()):
            comments.nth(i).hover()
        for link in reader.locator(".comment-body a").all():
            assert link.get_attribute("href").startswith(("http:", "https:", "mailto:"))
        assert reader.evaluate("() => window.__xss") is None
        assert reader.evaluate("() => parent.__xss") is None
        assert dialogs == []
        assert reader.evaluate(INJECTED) == []
        # The payloads are there as text, and the Markdown that is allowed still renders.
        text = reader.locator("#discussion").inner_text()
        assert 'onerror="window.__xss=1"' in text and "<script>" in text
        assert reader.locator(".comment-body strong", has_text="bold").count() == 1
        assert reader.locator("#discussion").is_visible()  # the <style> payload hid nothing
    finally:
        context.close()


def test_a_reply_and_an_edit_through_the_page(live_server, page, browser, people, question):
    base = live_server.url
    url = f"{base}{question.get_absolute_url()}"
    log_in(page, base, "mallory")
    page.goto(url)
    assert page.locator("[data-testid=discussion-empty]").inner_text() == "No comments yet. Say what you expect and why."
    post_comment(page, "I expect HR **0.7**.")
    comment = page.locator("[data-testid=comment]").first
    comment.locator("summary", has_text="Edit").click()
    comment.locator("textarea[name=body]").fill("I expect HR **0.65**: the topline was emphatic.")
    comment.locator("button", has_text="Save").click()
    page.wait_for_load_state("networkidle")
    assert "Your comment is updated." in page.locator("[data-testid=discussion-message]").inner_text()
    comment = page.locator("[data-testid=comment]").first
    assert comment.locator("strong").inner_text() == "0.65"
    assert comment.locator("[data-testid=comment-edited]").is_visible()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    reader = context.new_page()
    try:
        log_in(reader, base, "victor")
        reader.goto(url)
        assert reader.locator("summary", has_text="Edit").count() == 0  # not theirs
        thread = reader.locator(".thread").first
        thread.locator("summary", has_text="Reply").click()
        reply_box = thread.locator(".reply-box textarea[name=body]")
        assert reply_box.is_visible()
        reply_box.fill("Why so confident?")
        thread.locator("button", has_text="Post reply").click()
        reader.wait_for_load_state("networkidle")
        assert "Your reply is posted." in reader.locator("[data-testid=discussion-message]").inner_text()
        reply = reader.locator(".replies [data-testid=comment]")
        assert reply.count() == 1 and "Why so confident?" in reply.inner_text()
        assert "victor" in reply.locator(".comment-author").inner_text().lower()
        # A blank reply comes back with the error by its form, which is open.
        thread = reader.locator(".thread").first
        thread.locator("summary", has_text="Reply").click()
        thread.locator(".reply-box textarea[name=body]").fill("   ")
        thread.locator(".reply-box textarea[name=body]").evaluate("el => el.removeAttribute('required')")
        thread.locator("button", has_text="Post reply").click()
        reader.wait_for_load_state("networkidle")
        error = reader.locator(".thread").first.locator(".reply-box .field-errors")
        assert "blank" in error.inner_text()
        assert reader.locator(".thread").first.locator("details.reply-box").get_attribute("open") is not None
    finally:
        context.close()
