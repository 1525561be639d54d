"""Cloud voices for narration and dubs: OpenAI-compatible /v1/audio/speech and Coqui tts-server,
through their real clients (openai, httpx) against local servers speaking those protocols."""

from __future__ import annotations

import wave

import pytest
from fake_llm_server import COQUI, SPEECH, FakeAIServer, Reply

from pipeline.config import VoiceOptions
from pipeline.retry import RemoteAuthError, RemoteServiceError
from pipeline.structure import Slide, SlideKind, Story
from pipeline.voice import narrate
from pipeline.voice.backends import get_backend

pytest.importorskip("openai")


@pytest.fixture(scope="module")
def server():
    with FakeAIServer() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _env(server, monkeypatch):
    server.reset()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-voice-test")
    monkeypatch.setenv("RELEASECAST_REMOTE_TIMEOUT", "2")
    monkeypatch.setenv("RELEASECAST_REMOTE_DEADLINE", "8")


def _seconds(path) -> float:
    with wave.open(str(path)) as wav:
        assert wav.getnframes() > 0
        return wav.getnframes() / wav.getframerate()


def openai_voice(server: FakeAIServer, **options: object):
    return get_backend(VoiceOptions(backend="openai", base_url=f"{server.url}/v1", **options))


def coqui_voice(server: FakeAIServer, **options: object):
    return get_backend(VoiceOptions(backend="coqui", base_url=server.url, **options))


def test_openai_speech_writes_the_wav_the_endpoint_returns(server, tmp_path):
    out = openai_voice(server, voice="es", model="kokoro").synthesize(
        "Hola, esta es la nueva versión.", "es", tmp_path / "s.wav")
    assert 0.8 < _seconds(out) < 5
    (call,) = server.calls(SPEECH)
    assert call.json() == {"model": "kokoro", "voice": "es", "response_format": "wav",
                           "input": "Hola, esta es la nueva versión."}
    assert call.headers["authorization"] == "Bearer sk-voice-test"


def test_openai_speech_rate_becomes_speed_and_defaults_apply(server, tmp_path):
    openai_voice(server, rate=198).synthesize("Faster.", "en", tmp_path / "s.wav")
    body = server.calls(SPEECH)[0].json()
    assert (body["model"], body["voice"], body["speed"]) == ("gpt-4o-mini-tts", "alloy", 1.2)


def test_openai_speech_retries_503_and_refuses_a_wrong_key(server, tmp_path):
    server.script(SPEECH, Reply(status=503))
    openai_voice(server).synthesize("Hello.", "en", tmp_path / "a.wav")
    assert len(server.calls(SPEECH)) == 2
    server.expected_key = "another"
    with pytest.raises(RemoteAuthError, match="check OPENAI_API_KEY"):
        openai_voice(server).synthesize("Hello.", "en", tmp_path / "b.wav")


def test_an_answer_that_is_not_wav_is_an_error_and_nothing_is_written(server, tmp_path):
    server.script(SPEECH, Reply(body=b"ID3\x03mp3 data", headers={"Content-Type": "audio/mpeg"}))
    with pytest.raises(RemoteServiceError, match="not WAV audio"):
        openai_voice(server).synthesize("Hello.", "en", tmp_path / "s.wav")
    assert list(tmp_path.iterdir()) == []


def test_coqui_sends_text_speaker_and_language_as_tts_server_reads_them(server, tmp_path):
    out = coqui_voice(server, voice="Ana Florence").synthesize(
        "Gracias a todos.", "es-MX", tmp_path / "c.wav")
    assert _seconds(out) > 0.5
    (call,) = server.calls(COQUI)
    assert call.method == "GET" and call.path == "/api/tts"
    assert call.query["text"] == ["Gracias a todos."]
    assert call.query["speaker_id"] == ["Ana Florence"]
    assert call.query["language_id"] == ["es"]


def test_coqui_retries_a_500_and_gives_up_on_a_400(server, tmp_path):
    server.script(COQUI, Reply(status=500))
    coqui_voice(server).synthesize("Hello.", "en", tmp_path / "a.wav")
    assert len(server.calls(COQUI)) == 2
    server.script(COQUI, Reply(status=400))
    with pytest.raises(RemoteServiceError, match=r"request rejected \(HTTP 400\)"):
        coqui_voice(server).synthesize("Hello.", "en", tmp_path / "b.wav")
    assert len(server.calls(COQUI)) == 3


def test_coqui_server_down_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setenv("RELEASECAST_REMOTE_DEADLINE", "1.5")
    backend = get_backend(VoiceOptions(backend="coqui", base_url="http://127.0.0.1:9"))
    with pytest.raises(RemoteServiceError, match=r"coqui .* gave up .*connection failed"):
        backend.synthesize("Hello.", "en", tmp_path / "x.wav")


def test_the_voice_stage_narrates_through_coqui(server, tmp_path):
    story = Story("T", "S", slides=[
        Slide(SlideKind.TITLE, "Rocket", [], ["Rocket uno punto cinco ya está aquí."]),
        Slide(SlideKind.CLOSING, "Rocket", [], ["Gracias por escuchar."]),
    ], language="es")
    narration = narrate(story, VoiceOptions(backend="coqui", base_url=server.url),
                        tmp_path, min_duration=5, max_duration=60)
    assert [c.text for c in narration.cues] == ["Rocket uno punto cinco ya está aquí.",
                                                "Gracias por escuchar."]
    assert narration.language == "es" and narration.audio.exists()
    assert {c.query["language_id"][0] for c in server.calls(COQUI)} == {"es"}


def test_a_sentence_spoken_at_another_sample_rate_is_brought_to_the_first_ones(
        server, tmp_path):
    """Sentences are spoken all at once, longest first; one that comes back at another rate
    (16 kHz among 22.05 kHz) is spoken again and read at the first sentence's rate, so its cue
    spans its own speech, not a stretched one."""
    from fake_llm_server import espeak_wav

    from pipeline.voice.pcm import read_clip, trimmed, write_wav

    texts = ["Rocket one point five is here, faster than ever before.", "Thanks.",
             "Read the whole story."]
    natural = tmp_path / "natural.wav"
    natural.write_bytes(espeak_wav(texts[2]))
    resampled = tmp_path / "16k.wav"
    write_wav(resampled, read_clip(natural, 16000))
    # Requests come longest first: texts[0], texts[2], texts[1]; texts[2] comes at 16 kHz,
    # and so again when it is asked for once more.
    wav = {"Content-Type": "audio/wav"}
    server.script(COQUI, Reply(body=espeak_wav(texts[0]), headers=wav),
                  Reply(body=resampled.read_bytes(), headers=wav),
                  Reply(body=espeak_wav(texts[1]), headers=wav),
                  Reply(body=resampled.read_bytes(), headers=wav))
    story = Story("T", "S", slides=[Slide(SlideKind.TITLE, "Rocket", [], texts[:2]),
                                    Slide(SlideKind.CLOSING, "Rocket", [], texts[2:])])
    narration = narrate(story, VoiceOptions(backend="coqui", base_url=server.url), tmp_path,
                        min_duration=5, max_duration=60)
    sent = [call.query["text"][0] for call in server.calls(COQUI)]
    assert sent == [texts[0], texts[2], texts[1], texts[2]]
    spoken = trimmed(read_clip(natural))[0].duration  # the speech, without its silences
    cue = narration.cues[-1]
    assert cue.text == texts[2]
    assert abs((cue.end - cue.start) - spoken) < 0.05 * spoken  # 16/22.05 would be 27 % off
