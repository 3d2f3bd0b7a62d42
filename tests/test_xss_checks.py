"""The XSS checker itself: active content must fail it, text that only looks like markup pass."""

import pytest

from tests.xss_checks import assert_inert


@pytest.mark.parametrize(
    "html",
    [
        "<img src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<script>alert(1)</script>",
        '<a href=" jav&#x09;ascript:alert(1)">x</a>',
        "<form action=data:text/html,x><button>x</button></form>",
        '<meta http-equiv="refresh" content="0;url=//evil.example">',
        "<base href=//evil.example/>",
        "<link rel=stylesheet href=//evil.example/x.css>",
        '<iframe srcdoc="x"></iframe>',
        '<p style="background:red">x</p>',
        '<div class="prose"><b>x</b> <a href="https://x" rel="nofollow ugc noopener">x</a></div>',
        '<div class="prose"><a href="https://x">a link without the user-link rel</a></div>',
        '<div class="prose"><p>a block that lost its link</p></div>',
    ],
)
def test_checker_catches_active_content(html):
    """The checker itself: each of these must fail it, or a passing page proves nothing."""
    with pytest.raises(AssertionError):
        assert_inert(f"<body>{html}</body>")


def test_checker_tells_text_from_markup():
    assert_inert("<p>&lt;b&gt;x&lt;/b&gt;</p>", shown=["<b>x</b>"])
    with pytest.raises(AssertionError):
        assert_inert("<p><b>x</b></p>", shown=["<b>x</b>"])
