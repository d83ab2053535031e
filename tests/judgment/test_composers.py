"""Composer adapters: offline by default, a model over the loopback server, checked and with fallback."""

from __future__ import annotations

import json

import pytest

from churnguard.compose import ModelComposer, OfflineComposer, composer_from_settings, compose
from churnguard.config import Settings
from churnguard.llm import ModelConfigError, OpenAIChatModel, Provider, TestModel
from tests.judgment.drafts import make_context
from tests.judgment.llm_server import Scripted

GROUNDED = ("Hi Pat,\n\nI noticed activity on your account went from 41 to 9 over the last 30 days, after a lot of "
            "report exports before that. Is something in the way? A short call could help.\n\nBest,\nDana")
INVENTED = ("Hi Pat,\n\nYour usage fell 95%, so I can give you 3 months free and a 40% discount on the Enterprise plan. "
            "Our new forecasting feature will help.\n\nBest,\nDana")


def reply(body: str, subject: str = "Checking in on Example Freight") -> str:
    return json.dumps({"subject": subject, "body": body})


def loopback_composer(server) -> ModelComposer:
    return ModelComposer(OpenAIChatModel("loopback-model", Provider("ollama", server.base_url, max_retries=0)))


def test_default_composer_is_offline():
    composer = composer_from_settings(Settings())

    assert isinstance(composer, OfflineComposer)
    assert composer.compose(make_context()).body == compose(make_context()).body


def test_llm_composer_needs_provider():
    with pytest.raises(ModelConfigError, match="llm.provider"):
        composer_from_settings(Settings({"compose.composer": "llm"}))


def test_model_draft_over_loopback(chat_server):
    chat_server.script.append(Scripted(content=reply(GROUNDED)))
    composer = loopback_composer(chat_server)
    draft = composer.compose(make_context())
    sent = chat_server.requests[0].body
    facts = json.loads(sent["messages"][1]["content"])

    assert draft.body.startswith("Hi Pat,\n\nI noticed activity")
    assert composer.last_findings == []
    assert facts["offer_policy"]["allowed"] == []
    assert facts["evidence"]["before"] == 41
    assert sent["response_format"]["json_schema"]["name"] == "draft"
    assert "language with code en" in sent["messages"][0]["content"]


def test_invented_model_draft_falls_back(chat_server):
    chat_server.script.append(Scripted(content=reply(INVENTED)))
    composer = loopback_composer(chat_server)
    draft = composer.compose(make_context())
    kinds = {finding.kind for finding in composer.last_findings}

    assert draft.body == compose(make_context()).body
    assert {"number", "offer", "plan", "feature"} <= kinds


def test_model_failure_falls_back(chat_server):
    chat_server.script.append(Scripted(status=500))
    draft = loopback_composer(chat_server).compose(make_context())
    assert draft.body == compose(make_context()).body


def test_schema_breaking_draft_falls_back():
    composer = ModelComposer(TestModel(['{"subject": "Hi"}']))
    assert composer.compose(make_context()).body == compose(make_context()).body


def test_thread_subject_is_kept():
    composer = ModelComposer(TestModel([reply(GROUNDED, subject="New subject")]))
    draft = composer.compose(make_context(), thread_subject="Re: Invoice 12345")

    assert draft.subject == "Re: Invoice 12345"
    assert composer.last_findings == []


def test_model_sees_contact_language():
    model = TestModel([reply(GROUNDED)])
    ModelComposer(model).compose(make_context(language="de"))

    assert "language with code de" in model.requests[0].system
