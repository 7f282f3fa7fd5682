"""Schemathesis checks for Doorman's GraphQL contract (loaded through SCHEMATHESIS_HOOKS).

Schemathesis' own `not_a_server_error` treats every GraphQL error with a `path` as a resolver
failure; in Doorman such errors are the contract (UNAUTHENTICATED, NOT_FOUND, BAD_USER_INPUT, …,
see the error table of the API contract), so .ci/fuzz runs these two checks instead.
"""

import json
import os

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


@schemathesis.check
def no_5xx(ctx, response, case):
    """The server answers every request without a 5xx status."""
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:1000]}")


# The codes of the API contract, plus those the transport and the engine's safety net add.
KNOWN_CODES = {
    "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "INVITATION_NOT_FOUND",
    "INVITATION_EXPIRED", "INVITATION_CANCELLED", "INVITATION_DECLINED",
    "INVITATION_ALREADY_ACCEPTED", "INVITATION_USED_UP", "INVITATION_SUPERSEDED",
    "INVITATION_PAUSED",
    "EMAIL_MISMATCH", "EMAIL_DOMAIN_NOT_ALLOWED", "EMAIL_NOT_VERIFIED", "INVALID_TOKEN", "TOKEN_EXPIRED",
    "ALREADY_MEMBER", "CONFLICT", "LAST_ADMIN", "RATE_LIMITED",
    "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED",
    "PERSISTED_QUERY_NOT_FOUND", "REQUEST_TIMEOUT",
}

# async-graphql's wording for a value that does not fit its argument's type (an Int out of
# range, a number for an ID, a DateTime that does not parse, an enum value that does not exist).
ARGUMENT_VALUE_ERRORS = ("Failed to parse", "Invalid value for argument", "Expected input type")


@schemathesis.check
def graphql_errors_have_codes(ctx, response, case):
    """Every GraphQL error carries a known `extensions.code`, none is INTERNAL_SERVER_ERROR,
    and a bad argument value is BAD_USER_INPUT."""
    try:
        body = json.loads(response.text)
    except ValueError as exc:
        raise AssertionError(f"the response is not JSON: {response.text[:1000]}") from exc
    for answer in body if isinstance(body, list) else [body]:
        for error in (answer or {}).get("errors") or []:
            extensions = error.get("extensions") or {}
            code = extensions.get("code")
            if not code:
                raise AssertionError(f"GraphQL error without extensions.code: {json.dumps(error)}")
            if code == "INTERNAL_SERVER_ERROR":
                raise AssertionError(f"INTERNAL_SERVER_ERROR: {json.dumps(error)}")
            if code not in KNOWN_CODES:
                raise AssertionError(f"unknown code {code!r}: {json.dumps(error)}")
            message = error.get("message") or ""
            if message.startswith(ARGUMENT_VALUE_ERRORS) and code != "BAD_USER_INPUT":
                raise AssertionError(f"a bad argument value must be BAD_USER_INPUT: {json.dumps(error)}")


# FUZZ_LARGE=1: the second pass of .ci/fuzz generates larger inputs than schemathesis' own
# (short strings, small numbers): strings of hundreds to thousands of characters from all of
# Unicode, and integers well past 32 bits.
if os.environ.get("FUZZ_LARGE") == "1":
    long_text = st.text(min_size=200, max_size=3000) | st.text(max_size=40)
    schemathesis.graphql.scalar("String", long_text.map(nodes.String))
    schemathesis.graphql.scalar("ID", (long_text | st.integers().map(str)).map(nodes.String))
    schemathesis.graphql.scalar(
        "Int", st.integers(min_value=-(2**40), max_value=2**40).map(nodes.Int)
    )
