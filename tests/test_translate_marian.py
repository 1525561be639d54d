"""The marian translator on a tiny OPUS-MT model built here: the real load, tokenize, translate
and detokenize plumbing (SentencePiece + CTranslate2), whatever the random weights say.

The model is made the way users make theirs: an OPUS-MT directory (Marian ``.npz`` weights,
YAML vocabulary, ``decoder.yml``, ``source.spm``/``target.spm``) converted by CTranslate2's own
OPUS-MT converter. Only its weights are random and its SentencePiece models are trained here.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.translate import TranslationError, get_translator
from pipeline.translate.marian import MarianTranslator

np = pytest.importorskip("numpy")
spm = pytest.importorskip("sentencepiece")
pytest.importorskip("ctranslate2")
yaml = pytest.importorskip("yaml")

EN = ["the deploy command has a dry run option", "thanks to all contributors",
      "uploads retry when the server fails", "read the full story on the blog",
      "this release brings new features and fixes", "breaking changes before you upgrade"]
ES = ["la orden de despliegue tiene una opción de prueba", "gracias a todos los colaboradores",
      "las subidas se reintentan cuando falla el servidor", "lee la historia completa en el blog",
      "esta versión trae novedades y correcciones", "cambios incompatibles antes de actualizar"]


def _train_spm(lines: list[str], path: Path):
    rng = np.random.default_rng(0)
    words = " ".join(lines).split()
    corpus = [" ".join(rng.choice(words, size=rng.integers(4, 10))) for _ in range(400)] + lines
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=model, vocab_size=100, model_type="unigram",
        character_coverage=1.0, hard_vocab_limit=False, minloglevel=2)
    path.write_bytes(model.getvalue())
    return spm.SentencePieceProcessor(model_file=str(path))


def _marian_weights(vocab_size: int, d: int = 16, ff: int = 32) -> dict:
    """Random weights under the names Marian writes for a 1+1 layer post-norm Transformer."""
    rng = np.random.default_rng(1)
    w: dict = {"Wemb": rng.standard_normal((vocab_size, d)).astype(np.float32) * 0.1}

    def rand(*shape):
        return (rng.standard_normal(shape) * 0.1).astype(np.float32)

    def norm(scope):
        w[f"{scope}_ln_scale"] = np.ones((1, d), np.float32)
        w[f"{scope}_ln_bias"] = np.zeros((1, d), np.float32)

    def attention(scope):
        for x in "qkvo":
            w[f"{scope}_W{x}"], w[f"{scope}_b{x}"] = rand(d, d), rand(1, d)
        norm(f"{scope}_Wo")

    def ffn(scope):
        w[f"{scope}_W1"], w[f"{scope}_b1"] = rand(d, ff), rand(1, ff)
        w[f"{scope}_W2"], w[f"{scope}_b2"] = rand(ff, d), rand(1, d)
        norm(f"{scope}_ffn")

    attention("encoder_l1_self")
    ffn("encoder_l1_ffn")
    attention("decoder_l1_self")
    attention("decoder_l1_context")
    ffn("decoder_l1_ffn")
    w["decoder_ff_logit_out_b"] = rand(1, vocab_size)
    w["decoder_ff_logit_out_b"][0, 0] = 1.0  # favour </s> a little: short random sentences
    config = {
        "type": "transformer", "enc-depth": 1, "dec-depth": 1, "transformer-heads": 2,
        "transformer-decoder-autoreg": "self-attention", "transformer-no-projection": False,
        "transformer-ffn-activation": "swish", "transformer-preprocess": "",
        "transformer-postprocess": "dan", "transformer-postprocess-emb": "d",
        "transformer-postprocess-top": "", "transformer-guided-alignment-layer": "last",
        "tied-embeddings-all": True,
    }
    w["special:model.yml"] = np.frombuffer(yaml.safe_dump(config).encode() + b"\0", np.int8)
    return w


def build_tiny_opus_mt(root: Path, name: str = "opus-mt-en-es") -> Path:
    download = root / "download"
    download.mkdir(parents=True)
    pieces = ["</s>", "<unk>", ">>es<<"]  # a multilingual model's target token, too
    for sp in (_train_spm(EN, download / "source.spm"), _train_spm(ES, download / "target.spm")):
        for i in range(sp.get_piece_size()):
            piece = sp.id_to_piece(i)
            if piece not in pieces and piece not in ("<s>", "<unk>", "</s>"):
                pieces.append(piece)
    (download / "opus.vocab.yml").write_text(
        "".join(f"{json.dumps(p, ensure_ascii=False)}: {i}\n" for i, p in enumerate(pieces)),
        encoding="utf-8")
    np.savez(download / "opus.npz", **_marian_weights(len(pieces)))
    (download / "decoder.yml").write_text(yaml.safe_dump(
        {"models": ["opus.npz"], "vocabs": ["opus.vocab.yml", "opus.vocab.yml"]}))

    from ctranslate2.converters import OpusMTConverter  # what ct2-opus-mt-converter runs

    out = root / name
    OpusMTConverter(str(download)).convert(str(out))
    for spm_file in ("source.spm", "target.spm"):
        shutil.copy(download / spm_file, out / spm_file)
    return out


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("marian")
    build_tiny_opus_mt(root)
    return root


def test_marian_runs_the_real_plumbing_and_keeps_protected_spans(models, monkeypatch):
    monkeypatch.setenv("RELEASECAST_MARIAN_MODELS", str(models))
    translator = get_translator(Config(translator="marian"))
    texts = ["Read the full story on the blog.", "Thanks to @alice for #41 in v1.5.0."]
    out = translator.translate(texts, source="en", target="es")
    assert len(out) == 2 and all(out)
    # words come from the target SentencePiece model's pieces, detokenized (no ▁ left)
    assert "▁" not in " ".join(out)
    target_words = set(" ".join(ES).split())
    assert set(out[0].split()) <= target_words | {""}
    for span in ("@alice", "#41", "v1.5.0"):
        assert span in out[1]
    assert translator._model("en", "es").prefix == [">>es<<"]


def test_marian_output_is_deterministic(models):
    translator = MarianTranslator(models)
    first = translator.translate(["thanks to all contributors"], source="en", target="es")
    again = MarianTranslator(models).translate(["thanks to all contributors"],
                                               source="en", target="es")
    assert first == again


def test_missing_model_names_the_expected_folder(models):
    with pytest.raises(TranslationError, match=r"no en-fr model in .*opus-mt-en-fr/"):
        MarianTranslator(models).translate(["Hi."], source="en", target="fr")


def test_model_without_its_sentencepiece_files_is_explained(models, tmp_path):
    broken = tmp_path / "opus-mt-en-es"
    shutil.copytree(models / "opus-mt-en-es", broken)
    (broken / "target.spm").unlink()
    with pytest.raises(TranslationError, match=r"has no target\.spm"):
        MarianTranslator(tmp_path).translate(["Hi."], source="en", target="es")
