"""OPUS-MT (Marian) models run with CTranslate2 and tokenized with SentencePiece, offline.

A model directory is what ``ct2-opus-mt-converter --model_dir <opus-mt download>
--output_dir opus-mt-en-es`` writes (``model.bin``, ``config.json``, vocabulary), plus the
download's ``source.spm`` and ``target.spm``. Directories are looked up under
``$RELEASECAST_MARIAN_MODELS`` (default ``~/.cache/releasecast/marian``) as
``opus-mt-<source>-<target>`` or ``<source>-<target>``. Multilingual models that expect a target
token (``>>es<<``) get it automatically when their vocabulary has one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import TranslationError, Translator
from .languages import base_code

MODELS_ENV = "RELEASECAST_MARIAN_MODELS"
BEAM_SIZE = 4
BATCH_SIZE = 16


def models_root() -> Path:
    configured = os.environ.get(MODELS_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "releasecast" / "marian"


def _source_vocabulary(model_dir: Path) -> set[str]:
    for name in ("shared_vocabulary", "source_vocabulary"):
        as_json, as_text = model_dir / f"{name}.json", model_dir / f"{name}.txt"
        if as_json.exists():
            return set(json.loads(as_json.read_text(encoding="utf-8")))
        if as_text.exists():
            return set(as_text.read_text(encoding="utf-8").splitlines())
    return set()


class _Loaded:
    def __init__(self, model_dir: Path, target: str) -> None:
        try:
            import ctranslate2
            import sentencepiece
        except ImportError:
            raise ConfigError(
                "translator marian needs ctranslate2 and sentencepiece: "
                "pip install 'releasecast[marian]'"
            ) from None
        for name in ("source.spm", "target.spm"):
            if not (model_dir / name).is_file():
                raise TranslationError(f"marian: {model_dir} has no {name} (copy it from the "
                                       f"OPUS-MT download next to model.bin)")
        try:
            self.translator: Any = ctranslate2.Translator(
                str(model_dir), device="cpu", inter_threads=1, intra_threads=os.cpu_count() or 1
            )
        except (RuntimeError, ValueError) as exc:
            raise TranslationError(f"marian: cannot load {model_dir}: {exc}") from None
        self.source_sp = sentencepiece.SentencePieceProcessor(
            model_file=str(model_dir / "source.spm"))
        self.target_sp = sentencepiece.SentencePieceProcessor(
            model_file=str(model_dir / "target.spm"))
        token = f">>{base_code(target)}<<"
        self.prefix = [token] if token in _source_vocabulary(model_dir) else []


class MarianTranslator(Translator):
    name = "marian"

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or models_root()
        self._models: dict[tuple[str, str], _Loaded] = {}

    def model_dir(self, source: str, target: str) -> Path | None:
        s, t = base_code(source), base_code(target)
        for name in (f"opus-mt-{s}-{t}", f"{s}-{t}"):
            if (self.root / name / "model.bin").is_file():
                return self.root / name
        return None

    def check(self, source: str, target: str) -> None:
        if self.model_dir(source, target) is None:
            s, t = base_code(source), base_code(target)
            raise TranslationError(
                f"marian: no {s}-{t} model in {self.root} (expected opus-mt-{s}-{t}/ with "
                f"model.bin, source.spm and target.spm; set ${MODELS_ENV} to its parent folder)"
            )

    def _model(self, source: str, target: str) -> _Loaded:
        key = (base_code(source), base_code(target))
        if key not in self._models:
            model_dir = self.model_dir(source, target)
            assert model_dir is not None  # check() ran first
            self._models[key] = _Loaded(model_dir, target)
        return self._models[key]

    def _translate(self, texts: list[str], source: str, target: str) -> list[str]:
        model = self._model(source, target)
        batch = [model.prefix + model.source_sp.encode(text, out_type=str) for text in texts]
        longest = max((len(tokens) for tokens in batch), default=1)
        results = model.translator.translate_batch(
            batch,
            beam_size=BEAM_SIZE,
            max_batch_size=BATCH_SIZE,
            # a caption's translation is about as long as the caption; never let it run away
            max_decoding_length=min(512, 2 * longest + 10),
        )
        return [model.target_sp.decode(result.hypotheses[0]) for result in results]
