"""Property-based run of the JSON API from its own OpenAPI description (schemathesis):
whatever the generated input, no answer is a server error and every status is documented."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, status_code_conformance

from tests.factories import TO_CONSULTATION, open_psttm, run

EXAMPLES_PER_OPERATION = 25


def test_api_never_answers_with_a_server_error(app, direzione, clock, token_for) -> None:
    run(open_psttm(direzione, clock), TO_CONSULTATION, direzione, clock)
    headers = token_for(direzione)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    seen: set[int] = set()

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case) -> None:
            response = case.call(headers=headers)
            seen.add(response.status_code)
            case.validate_response(response, checks=(not_a_server_error, status_code_conformance))

        check()
    assert 200 in seen and seen & {400, 404, 422}, seen  # both valid and refused inputs ran
