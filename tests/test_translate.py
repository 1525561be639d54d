"""Translators: Apertium for real, LLMs through their real clients, the span protection."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from fake_llm_server import CHAT, GEMINI, FakeAIServer, Reply, prompt_text

from pipeline.config import Config, WriterOptions
from pipeline.errors import ConfigError
from pipeline.translate import TranslationError, get_translator
from pipeline.translate.protect import protect

CAPTIONS = [
    "Rocket version v1.5.0 adds --dry-run to the deploy command.",
    "Thanks to @alice for #41, see https://github.com/acme/rocket/pull/41.",
    "Run `rocket deploy --dry-run` before you upgrade.",
    "Read the full story on the blog.",
]
PROTECTED = ["v1.5.0", "--dry-run", "@alice", "#41", "https://github.com/acme/rocket/pull/41",
             "`rocket deploy --dry-run`", "Rocket"]


def test_protect_masks_code_names_versions_urls_and_references():
    masked = protect(CAPTIONS[0] + " " + CAPTIONS[1] + " " + CAPTIONS[2], keep=["Rocket"])
    assert masked.spans == ["Rocket", "v1.5.0", "--dry-run", "@alice", "#41",
                            "https://github.com/acme/rocket/pull/41", "`rocket deploy --dry-run`"]
    assert "alice" not in masked.text and "1.5" not in masked.text
    assert masked.restore(masked.text) == " ".join(CAPTIONS[:3])


def test_identifiers_are_kept_even_without_their_backticks():
    masked = protect("Respect NO_COLOR, call fooBar or __init__, implement OwnedFd on GitHub.")
    assert masked.spans == ["NO_COLOR", "fooBar", "__init__", "OwnedFd", "GitHub"]
    # ordinary words are translated: capitalised, all-caps or hyphenated alike
    assert protect("Show ETA and rate. Fixed in Chain for zero-length reads.").spans == []


def test_restore_refuses_a_lost_or_repeated_placeholder():
    masked = protect("Thanks @alice for #41.")
    assert masked.restore("Gracias ZPH0Z por ZPH1Z.") == "Gracias @alice por #41."
    assert masked.restore("Gracias ZPH0Z.") is None
    assert masked.restore("Gracias ZPH0Z ZPH0Z por ZPH1Z.") is None
    assert masked.segments() == [(False, "Thanks "), (True, "@alice"), (False, " for "),
                                 (True, "#41"), (False, ".")]


def test_unknown_translator_is_a_config_error():
    with pytest.raises(ConfigError, match="translator: unknown translator 'deepl'"):
        get_translator(Config(translator="deepl"))


# -- Apertium, for real ---------------------------------------------------------------------

needs_apertium = pytest.mark.skipif(shutil.which("apertium") is None,
                                    reason="apertium is not installed (install-system-deps.sh)")


@needs_apertium
@pytest.mark.parametrize(("target", "word"), [("es", "Gracias"), ("ca", "Gràcies")])
def test_apertium_translates_and_keeps_protected_spans(target, word):
    out = get_translator(Config(translator="apertium")).translate(
        CAPTIONS, source="en", target=target, keep=["Rocket"])
    assert len(out) == len(CAPTIONS)
    assert out[1].startswith(word)
    for span in PROTECTED:
        assert span in " ".join(out), span
    assert out[3] != CAPTIONS[3]  # translated, whatever the quality
    assert "Rocket" in out[0] and "Cohete" not in out[0]


@needs_apertium
def test_apertium_leaves_an_identifier_as_it_is_written():
    out = get_translator(Config(translator="apertium")).translate(
        ["Respect NO_COLOR.", "Implement From OwnedFd for File."], source="en", target="es")
    assert "NO_COLOR" in out[0] and "OwnedFd" in out[1]  # not "NINGÚN_COLOR"


@needs_apertium
def test_apertium_without_the_pair_names_what_is_installed():
    with pytest.raises(TranslationError, match=r"mode eng-jpn is not installed .*eng-spa"):
        get_translator(Config(translator="apertium")).translate(
            ["Hello."], source="en", target="ja")


def test_same_language_is_returned_as_is():
    assert get_translator(Config()).translate(["Hi."], source="en", target="en-GB") == ["Hi."]


# -- gemini / openai, through their real clients -------------------------------------------

def _texts_of(route: str, payload: dict) -> list[str]:
    found = re.search(r"texts from \w+ to [^:]+:\s*(\[.*?\n\])", prompt_text(route, payload),
                      re.DOTALL)
    assert found, "the prompt must carry the texts as a JSON list"
    return json.loads(found.group(1))


def _fake_translation(route: str, payload: dict) -> str:
    """A 'model' that translates by tagging each text and keeps every placeholder."""
    return json.dumps({"translations": [f"(es) {t}" for t in _texts_of(route, payload)]})


@pytest.fixture(scope="module")
def server():
    with FakeAIServer() as srv:
        yield srv


@pytest.fixture
def llm(server, monkeypatch):
    server.reset()
    server.answer = _fake_translation
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("RELEASECAST_REMOTE_TIMEOUT", "2")
    return server


def _config(server: FakeAIServer, backend: str) -> Config:
    url = server.url if backend == "gemini" else f"{server.url}/v1"
    return Config(translator=backend, writer=WriterOptions(backend=backend, base_url=url))


@pytest.mark.parametrize(("backend", "route"), [("gemini", GEMINI), ("openai", CHAT)])
def test_llm_translator_sees_placeholders_and_spans_come_back(llm, backend, route):
    out = get_translator(_config(llm, backend)).translate(
        CAPTIONS, source="en", target="es", keep=["Rocket"])
    assert out == [f"(es) {c}" for c in CAPTIONS]
    (call,) = llm.calls(route)
    sent = _texts_of(route, call.json())
    assert sent[1] == "Thanks to ZPH0Z for ZPH1Z, see ZPH2Z."
    assert "from English to Spanish" in prompt_text(route, call.json())


@pytest.mark.parametrize(("backend", "route"), [("gemini", GEMINI), ("openai", CHAT)])
def test_a_dropped_placeholder_is_named_and_retried(llm, backend, route):
    llm.script(route, Reply(text=json.dumps({"translations": ["Gracias.", "Hola."]})))
    out = get_translator(_config(llm, backend)).translate(
        ["Thanks @alice.", "Hello."], source="en", target="es")
    assert out == ["(es) Thanks @alice.", "(es) Hello."]
    assert "text 1 must contain ZPH0Z exactly once each" in prompt_text(
        route, llm.calls(route)[1].json())


def test_a_model_that_keeps_dropping_spans_is_translated_around_them(llm):
    drop = Reply(text=json.dumps({"translations": ["Gracias a todos."]}))
    llm.script(CHAT, drop, drop)
    out = get_translator(_config(llm, "openai")).translate(
        ["Thanks @alice for #41."], source="en", target="es")
    # third call: only the words between the spans, which stay as they were
    assert _texts_of(CHAT, llm.calls(CHAT)[2].json()) == ["Thanks", "for"]
    assert out == ["(es) Thanks @alice (es) for #41."]


def test_translation_uses_its_own_settings_when_the_writer_is_another_backend(llm):
    cfg = Config(translator="openai", writer=WriterOptions(backend="template"))
    # no writer URL to share: the client falls back to OPENAI_BASE_URL
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_BASE_URL", f"{llm.url}/v1")
        assert get_translator(cfg).translate(["Hi."], source="en", target="es") == ["(es) Hi."]
    assert llm.calls(CHAT)[0].json()["model"] == "gpt-4o-mini"
