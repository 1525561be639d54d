"""AI writers: the real google-genai and openai clients against local wire-format servers."""

from __future__ import annotations

import json
import logging
import re

import pytest
from ai_samples import sample_facts
from fake_llm_server import CHAT, GEMINI, FakeAIServer, Reply, prompt_text

from pipeline.config import Config, WriterOptions
from pipeline.errors import ConfigError
from pipeline.retry import RemoteAuthError
from pipeline.story import template, write_story
from pipeline.structure import SlideKind

pytest.importorskip("google.genai")
pytest.importorskip("openai")

KEY = "sk-test-SECRET-4b1d"

GOOD = {
    "title": "Rocket v1.5.0: dry runs and Python 3.12",
    "summary": "Rocket v1.5.0 adds dry runs to deploys, supports Python 3.12 and retries "
               "uploads on 503.",
    "highlights": ["Deploy has a --dry-run option (#41).", "Python 3.12 is supported."],
    "narration": [
        "Rocket v1.5.0 is here, with 2 new features and 1 fix.",
        "You can now try a deploy with dry run. And Rocket supports Python 3.12.",
        "One thing to know before upgrading: the legacy config format is gone.",
        "Uploads now retry when the server answers 503.",
        "Thanks to @alice, @bob and @carol, who made their first contribution.",
        "7 commits went into this release. Read the full story on the blog.",
    ],
}


def answer(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


@pytest.fixture(scope="module")
def server():
    with FakeAIServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _env(server, monkeypatch):
    server.reset()
    server.answer = lambda route, payload: answer()
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("RELEASECAST_REMOTE_TIMEOUT", "1")
    monkeypatch.setenv("RELEASECAST_REMOTE_DEADLINE", "8")
    # Retries still happen in order and are logged; the suite need not sleep through the
    # real 1-2 s backoffs to see that (the deadline test below uses the real ones).
    monkeypatch.setenv("RELEASECAST_REMOTE_INITIAL_WAIT", "0.05")


def config(server: FakeAIServer, backend: str, **writer: object) -> Config:
    base_url = server.url if backend == "gemini" else f"{server.url}/v1"
    return Config(writer=WriterOptions(backend=backend, base_url=base_url, **writer))


ROUTES = [("gemini", GEMINI), ("openai", CHAT)]


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_writer_uses_the_models_words_on_the_template_slides(server, backend, route):
    story = write_story(sample_facts(), config(server, backend))
    assert story.writer == backend
    assert story.title == GOOD["title"]
    assert story.highlights == GOOD["highlights"]
    assert [s.kind for s in story.slides] == [
        SlideKind.TITLE, SlideKind.HIGHLIGHTS, SlideKind.BREAKING, SlideKind.FIXES,
        SlideKind.CONTRIBUTORS, SlideKind.CLOSING,
    ]
    # slides keep the template's grounded bullets; narration is the model's, made speakable
    base = template.write(sample_facts(), config(server, backend))
    assert [s.lines for s in story.slides] == [s.lines for s in base.slides]
    assert story.slides[1].narration == [
        "You can now try a deploy with dry run.", "And Rocket supports Python 3.12."
    ]
    assert story.slides[0].narration[0] == (
        "Rocket version 1.5 is here, with 2 new features and 1 fix."  # 1.5.0 said as 1.5
    )
    (call,) = server.calls(route)
    body = call.json()
    if backend == "gemini":
        assert call.path == "/v1beta/models/gemini-2.5-flash:generateContent"
        assert call.headers["x-goog-api-key"] == KEY
        generation = body["generationConfig"]
        assert generation["responseMimeType"] == "application/json"
        schema = generation["responseJsonSchema"]
        assert "Never invent" in body["systemInstruction"]["parts"][0]["text"]
    else:
        assert call.headers["authorization"] == f"Bearer {KEY}"
        assert body["model"] == "gpt-4o-mini"
        assert body["response_format"]["type"] == "json_schema"
        schema = body["response_format"]["json_schema"]["schema"]
        assert body["messages"][0]["role"] == "system"
    assert schema["required"] == ["title", "summary", "highlights", "narration"]
    assert schema["additionalProperties"] is False
    assert "Write exactly 6\nnarration paragraphs" in prompt_text(route, body)
    assert "PR #41" in prompt_text(route, body)


def test_model_and_temperature_come_from_the_config(server):
    write_story(sample_facts(), config(server, "openai", model="llama3.2", temperature=0.1))
    body = server.calls(CHAT)[0].json()
    assert (body["model"], body["temperature"]) == ("llama3.2", 0.1)


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_429_waits_for_retry_after_then_succeeds(server, backend, route, caplog):
    # 2 s: longer than the first exponential backoff step (1 s + jitter), so this is honoured
    server.script(route, Reply(status=429, headers={"Retry-After": "2"}))
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == backend
    first, second = server.calls(route)
    assert 2.0 <= second.at - first.at < 2.6
    assert re.search(r"HTTP 429, retrying in 2\.[01] s \(attempt 2 of 5\)", caplog.text)
    assert KEY not in caplog.text


def test_gemini_retry_info_in_the_error_body_is_honoured(server):
    server.script(GEMINI, Reply(status=429, error_details=[
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"}]))
    assert write_story(sample_facts(), config(server, "gemini")).writer == "gemini"
    first, second = server.calls(GEMINI)
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_503_is_retried_with_backoff(server, backend, route, caplog):
    server.script(route, Reply(status=503), Reply(status=503))
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == backend
    assert len(server.calls(route)) == 3
    assert caplog.text.count("HTTP 503, retrying") == 2


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_a_request_that_hangs_times_out_and_is_retried(server, backend, route, caplog):
    server.script(route, Reply(delay=2.5))  # longer than RELEASECAST_REMOTE_TIMEOUT=1
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == backend
    assert len(server.calls(route)) == 2
    assert "timed out, retrying" in caplog.text


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_malformed_json_answer_is_retried_with_the_problem_named(server, backend, route):
    server.script(route, Reply(text='{"title": "Rocket v1.5.0", "summary": '))
    story = write_story(sample_facts(), config(server, backend))
    assert story.writer == backend
    first, second = server.calls(route)
    assert "not valid JSON" not in prompt_text(route, first.json())
    assert "not valid JSON" in prompt_text(route, second.json())


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_an_invented_pr_number_is_caught_and_the_retry_names_it(server, backend, route, caplog):
    invented = answer(highlights=["Deploys are 3x faster thanks to #999."])
    server.script(route, Reply(text=invented))
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == backend  # the corrected second answer
    assert story.highlights == GOOD["highlights"]
    retry_prompt = prompt_text(route, server.calls(route)[1].json())
    assert "#999 is not a pull request or issue of this release" in retry_prompt
    assert "the number 3 does not" not in retry_prompt  # 3 is a real figure (contributors)


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_twice_ungrounded_falls_back_to_the_template_writer(server, backend, route, caplog):
    server.answer = lambda r, p: answer(summary="Rocket v1.6.0 lands 12 features by @mallory.")
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == "template"
    assert "v1.6.0" not in story.summary and "mallory" not in story.summary
    assert len(server.calls(route)) == 2
    assert "using the template writer" in caplog.text
    assert "@mallory is not a contributor" in caplog.text


def test_wrong_narration_count_is_a_problem_for_the_model(server):
    server.script(CHAT, Reply(text=answer(narration=GOOD["narration"][:3])))
    assert write_story(sample_facts(), config(server, "openai")).writer == "openai"
    retry_prompt = prompt_text(CHAT, server.calls(CHAT)[1].json())
    assert "exactly 6 paragraphs" in retry_prompt


@pytest.mark.parametrize(("backend", "route", "env"),
                         [("gemini", GEMINI, "GEMINI_API_KEY"), ("openai", CHAT, "OPENAI_API_KEY")])
def test_rejected_key_is_one_line_naming_the_variable_not_the_key(server, backend, route, env,
                                                                   caplog):
    server.expected_key = "the-right-key"
    with pytest.raises(RemoteAuthError) as err, caplog.at_level(logging.DEBUG):
        write_story(sample_facts(), config(server, backend))
    message = str(err.value)
    assert "\n" not in message
    assert "authentication failed" in message and env in message
    assert KEY not in message and KEY not in caplog.text
    assert len(server.calls(route)) == 1  # never retried


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_other_4xx_is_not_retried_and_falls_back(server, backend, route, caplog):
    server.script(route, Reply(status=400))
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == "template"
    assert len(server.calls(route)) == 1
    assert "request rejected (HTTP 400)" in caplog.text


@pytest.mark.parametrize(("backend", "route"), ROUTES)
def test_a_body_that_is_not_json_falls_back(server, backend, route, caplog):
    server.script(route, Reply(body=b"<html>proxy error</html>",
                               headers={"Content-Type": "application/json"}))
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, backend))
    assert story.writer == "template"
    assert "unusable response" in caplog.text


def test_overall_deadline_bounds_a_persistent_outage(server, monkeypatch, caplog):
    monkeypatch.setenv("RELEASECAST_REMOTE_DEADLINE", "2.5")
    monkeypatch.setenv("RELEASECAST_REMOTE_INITIAL_WAIT", "1")  # the default backoff
    server.script(CHAT, *[Reply(status=503)] * 10)
    with caplog.at_level(logging.WARNING):
        story = write_story(sample_facts(), config(server, "openai"))
    assert story.writer == "template"
    calls = server.calls(CHAT)
    assert 2 <= len(calls) <= 3
    assert calls[-1].at - calls[0].at < 2.5
    assert "gave up after" in caplog.text


def test_missing_key_is_a_config_error(server, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(ConfigError, match="GEMINI_API_KEY"):
        write_story(sample_facts(), config(server, "gemini"))


def test_local_openai_compatible_server_needs_no_key(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    assert write_story(sample_facts(), config(server, "openai")).writer == "openai"
    assert server.calls(CHAT)[0].headers["authorization"] == "Bearer unused"


def test_user_prompt_templates_override_the_bundled_ones(server, tmp_path):
    (tmp_path / "prompts").mkdir()
    override = tmp_path / "prompts" / "writer_system.j2"
    override.write_text("Talk like a pirate about {{ project }}.")
    cfg = config(server, "openai").model_copy(update={"templates": tmp_path})
    write_story(sample_facts(), cfg)
    system = server.calls(CHAT)[0].json()["messages"][0]["content"]
    assert system == "Talk like a pirate about rocket."
