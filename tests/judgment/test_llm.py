"""The LLM layer: wire formats against a loopback server, retries, schema checks and the switch."""

from __future__ import annotations

import json

import pytest

from churnguard.config import Settings
from churnguard.llm import (AnthropicModel, AnthropicProvider, ChatMessage, ModelConfigError, ModelError,
                            ModelRequest, ModelRequestsBlocked, ModelResponseInvalid, OpenAIChatModel, Provider,
                            allow_model_requests, model_from_settings)
from churnguard.llm.schema import parse_reply
from tests.judgment.llm_server import Scripted

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}, "required": ["n"],
          "additionalProperties": False}


def request(schema=SCHEMA) -> ModelRequest:
    return ModelRequest(system="Count.", messages=(ChatMessage("user", "three"),), json_schema=schema)


def openai_model(server, **provider) -> OpenAIChatModel:
    values = dict(api_key="sk-test-key", max_retries=0, retry_backoff_seconds=0.0, timeout_seconds=2.0)
    values.update(provider)
    return OpenAIChatModel("loopback-model", Provider("openai", server.base_url, **values))


def test_openai_wire_format(chat_server):
    chat_server.script.append(Scripted(content='{"n": 3}'))
    response = openai_model(chat_server).request(request())
    sent = chat_server.requests[0]

    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sk-test-key"
    assert sent.body["model"] == "loopback-model"
    assert sent.body["messages"][0] == {"role": "system", "content": "Count."}
    assert sent.body["messages"][1] == {"role": "user", "content": "three"}
    assert sent.body["response_format"]["type"] == "json_schema"
    assert sent.body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert response.text == '{"n": 3}'
    assert (response.input_tokens, response.output_tokens) == (11, 7)


def test_retry_after_server_error(chat_server):
    chat_server.script += [Scripted(status=503), Scripted(status=429), Scripted(content='{"n": 1}')]
    response = openai_model(chat_server, max_retries=2).request(request())

    assert response.text == '{"n": 1}'
    assert len(chat_server.requests) == 3


def test_client_error_is_not_retried(chat_server):
    chat_server.script += [Scripted(status=401), Scripted(content='{"n": 1}')]
    with pytest.raises(ModelError, match="HTTP 401") as caught:
        openai_model(chat_server, max_retries=2).request(request())

    assert caught.value.retryable is False
    assert len(chat_server.requests) == 1


def test_timeout_is_a_retryable_error(chat_server):
    chat_server.script.append(Scripted(content='{"n": 1}', delay=1.0))
    with pytest.raises(ModelError, match="timed out") as caught:
        openai_model(chat_server, timeout_seconds=0.2).request(request())
    assert caught.value.retryable is True


def test_body_not_json_is_an_error(chat_server):
    chat_server.script.append(Scripted(raw=b"<html>proxy error</html>"))
    with pytest.raises(ModelError, match="not JSON"):
        openai_model(chat_server).request(request())


def test_missing_choices_is_an_error(chat_server):
    chat_server.script.append(Scripted(body={"error": "overloaded"}))
    with pytest.raises(ModelError, match="choices"):
        openai_model(chat_server).request(request())


def test_key_never_in_repr(chat_server):
    model = openai_model(chat_server, api_key="sk-secret-canary")
    assert "sk-secret-canary" not in repr(model)
    assert "sk-secret-canary" not in repr(model.provider)


def test_switch_blocks_remote_hosts():
    model = OpenAIChatModel("m", Provider("openai", "https://llm.example.test/v1", api_key="k"))
    with pytest.raises(ModelRequestsBlocked, match="llm.example.test"):
        model.request(request())


def test_switch_allows_loopback(chat_server):
    chat_server.script.append(Scripted(content='{"n": 2}'))
    with allow_model_requests(False):
        assert openai_model(chat_server).request(request()).text == '{"n": 2}'


def test_switch_reads_environment(monkeypatch):
    from churnguard.llm.switch import model_requests_allowed

    monkeypatch.setenv("CHURNGUARD_ALLOW_MODEL_REQUESTS", "0")
    with allow_model_requests(True):
        assert model_requests_allowed() is True
    assert model_requests_allowed() is False  # the autouse fixture's block still applies


def test_anthropic_wire_format(chat_server):
    chat_server.script.append(Scripted(body={
        "id": "msg_1", "type": "message", "model": "claude-test", "stop_reason": "end_turn",
        "content": [{"type": "text", "text": '{"n": 4}'}], "usage": {"input_tokens": 5, "output_tokens": 3}}))
    base = chat_server.base_url.removesuffix("/v1")
    model = AnthropicModel("claude-test", AnthropicProvider("anthropic", base, api_key="ak-test", max_retries=0))
    response = model.request(request())
    sent = chat_server.requests[0]

    assert sent.path == "/v1/messages"
    assert sent.headers["x-api-key"] == "ak-test"
    assert sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.body["system"].startswith("Count.")
    assert json.dumps(SCHEMA, separators=(",", ":")) in sent.body["system"]
    assert sent.body["messages"] == [{"role": "user", "content": "three"}]
    assert response.text == '{"n": 4}'


def test_schema_accepts_fenced_json():
    assert parse_reply("m", '```json\n{"n": 5}\n```', SCHEMA) == {"n": 5}


@pytest.mark.parametrize(("text", "problem"), [
    ("not json", "not JSON"),
    ('{"n": -1}', "at least 0"),
    ('{"n": "five"}', "must be integer"),
    ('{}', "$.n is missing"),
    ('{"n": 1, "extra": true}', "$.extra is not allowed"),
    ('{"n": true}', "must be integer"),
])
def test_schema_rejects(text, problem):
    with pytest.raises(ModelResponseInvalid, match=problem.replace("$", r"\$")):
        parse_reply("m", text, SCHEMA)


def test_settings_default_is_offline():
    assert model_from_settings(Settings()) is None


def test_settings_need_url_and_model():
    with pytest.raises(ModelConfigError, match="llm.base_url"):
        model_from_settings(Settings({"llm.provider": "ollama"}))


def test_settings_need_key_for_openai(monkeypatch):
    monkeypatch.delenv("CHURNGUARD_LLM_API_KEY", raising=False)
    settings = Settings({"llm.provider": "openai", "llm.base_url": "http://127.0.0.1:9/v1", "llm.model": "m"})
    with pytest.raises(ModelConfigError, match="CHURNGUARD_LLM_API_KEY"):
        model_from_settings(settings)


def test_settings_build_azure(monkeypatch):
    monkeypatch.setenv("CHURNGUARD_LLM_API_KEY", "az-key")
    settings = Settings({"llm.provider": "azure", "llm.base_url": "http://127.0.0.1:9/openai/deployments/d",
                         "llm.model": "d", "llm.api_version": "2024-10-21"})
    model = model_from_settings(settings)

    assert model.provider.headers() == {"api-key": "az-key"}
    assert dict(model.provider.query) == {"api-version": "2024-10-21"}
