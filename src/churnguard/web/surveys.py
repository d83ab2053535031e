"""``POST /webhooks/surveys``: a signed NPS or CSAT response.

Signed like the ticket webhook, under its own secret. A response is recorded once by its
``id``; the score becomes an ``nps_response`` or ``csat_response`` event and the comment is
scored for sentiment and sealed. Unmatched responses are kept and listed, never dropped.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from churnguard.sentiment.intake import IntakeError, parse_survey
from churnguard.sentiment.records import accept_survey
from churnguard.web.http import RequestRejected
from churnguard.web.state import web_state
from churnguard.web.tickets import record_delivery, verified_json

SOURCE = "survey"


async def survey_webhook(request: Request) -> JSONResponse:
    """Verify one survey response, record it once and answer with what it did."""
    web = web_state(request)
    data, body = await verified_json(request, web, "webhooks.surveys_secret_env", "survey")
    try:
        survey = parse_survey(data, max_text=int(web.settings["sentiment.max_text_chars"]), now=web.workspace.clock.now())
    except IntakeError as exc:
        raise RequestRejected(422, str(exc)) from None

    result = await run_in_threadpool(record_delivery, web.workspace, SOURCE, survey.response_id, "survey", survey, body, accept_survey)
    web.wake_flusher()
    return JSONResponse(result)
