"""OpenAPI schema post-processing: the error answers every operation can give, documented once."""

ERROR = {
    "type": "object",
    "description": "`detail` for the request as a whole, or a list of messages per field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
COMMON = {
    "400": "The request was refused as invalid.",
    "401": "The token is missing, invalid or revoked.",
    "403": "Not logged in, or not allowed (a customer-only endpoint called by staff, or the reverse).",
    "429": "Too many requests (throttled, or the login is locked out); retry after the Retry-After header's seconds.",
}
MISSING = (
    "Not found, or not yours: another customer's object is answered exactly like a missing one. A path that "
    "matches no route (a non-numeric id) gets the site's HTML 404 page; a list given a bad cursor, `Invalid cursor`."
)


def error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: add 400/401/403/429 (and 404 where the path names an object)
    to every operation that does not say otherwise, as schemathesis checks the API answers only what it documents."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in COMMON.items():
                responses.setdefault(code, {"description": description, "content": ref})
            if "requestBody" in operation:
                responses.setdefault("415", {"description": "The body is not in a media type this operation reads.", "content": ref})
            paged = any(p.get("name") == "cursor" for p in operation.get("parameters", []))
            if "{" in path or paged:
                responses.setdefault("404", {"description": MISSING, "content": {**ref, "text/html": {"schema": {"type": "string"}}}})
    return result
