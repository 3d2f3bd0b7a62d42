"""The figures to quote for the attack suite: how many payloads, fields, routes and forms."""

from tests.attack_support import BAD_IDS, forms, methods, object_rules

# A fixture: the redundant alias tells ruff the import is used (as a test argument).
from tests.attack_support import ids as ids
from tests.payloads import PAYLOADS
from tests.xss_checks import FIELDS


def test_attack_suite_figures(app, ids):
    """The numbers to quote for this suite (run with -s to see them)."""
    post_routes = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    idor = [(rule, method) for rule in object_rules(app) for method in methods(rule)]
    figures = {
        "XSS payloads": len(PAYLOADS),
        "user text fields covered": len(FIELDS),
        "POST routes under the CSRF check": len(post_routes),
        "object routes x methods under IDOR": len(idor),
        "forms under mass assignment": len(forms(ids)),
        "bad ids per object route": len(BAD_IDS),
    }
    print("\n" + "\n".join(f"{value:5d}  {name}" for name, value in figures.items()))
    assert min(figures.values()) > 0
