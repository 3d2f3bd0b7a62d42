"""The JSON API at /api/v1, and its OpenAPI document and reference page at /api.

Its views live by resource (ideas, discussion, directory); each registers itself on the one
blueprint in endpoint.py, which also holds what every call goes through.
"""

from ideaboard.web.api import directory, discussion, ideas, openapi
from ideaboard.web.api.endpoint import ApiIdConverter, bp

docs_bp = openapi.bp
__all__ = ["ApiIdConverter", "bp", "docs_bp", "directory", "discussion", "ideas"]
