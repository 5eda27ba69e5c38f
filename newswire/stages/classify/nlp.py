"""Text analysis the classifier works on: word tokens with their lemmas, and named entities.

Two analysers share one interface, so the classifier and its tests do not care which runs:
`PlainAnalyzer` (regex tokens, a token is its own lemma, no entities) and `SpacyAnalyzer`, a
spaCy pipeline such as `fr_core_news_sm` with only the components used here (tagger for the
lemmatiser, lemmatiser, NER), fed in batches with `nlp.pipe`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from newswire.core.text import words

NO_NLP = "none"


@dataclass(frozen=True)
class Token:
    """A word, normalised (lower case, no accents), and its normalised lemma."""

    form: str
    lemma: str


@dataclass(frozen=True)
class Analysis:
    tokens: tuple[Token, ...]
    entities: tuple[tuple[str, str], ...] = ()  # (spaCy label, text as written)


class Analyzer(Protocol):
    name: str

    def analyse(self, texts: Sequence[str]) -> list[Analysis]: ...


class PlainAnalyzer:
    """No model: fast, and what `--nlp-model none` runs; inflections rely on `*` prefixes."""

    name = NO_NLP

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        return [Analysis(tuple(Token(w, w) for w in words(text))) for text in texts]


class SpacyAnalyzer:
    # The dependency parser is the costliest component and nothing here reads its output.
    EXCLUDE = ("parser", "senter")

    def __init__(self, model: str, batch_size: int = 32) -> None:
        self.name = model
        self._batch_size = batch_size
        self._nlp = _load(model, self.EXCLUDE)

    def analyse(self, texts: Sequence[str]) -> list[Analysis]:
        out = []
        for doc in self._nlp.pipe(texts, batch_size=self._batch_size):
            tokens: list[Token] = []
            for token in doc:
                forms = words(token.text)
                lemmas = words(token.lemma_)
                if len(lemmas) != len(forms):
                    lemmas = forms
                tokens.extend(Token(f, lemma) for f, lemma in zip(forms, lemmas, strict=True))
            entities = tuple((e.label_, e.text) for e in doc.ents)
            out.append(Analysis(tuple(tokens), entities))
        return out


def _load(model: str, exclude: Sequence[str]):
    import spacy
    from thinc.api import get_current_ops, set_current_ops

    previous = get_current_ops()
    set_current_ops(_matmul_ops())
    try:
        return spacy.load(model, exclude=list(exclude))
    except OSError as exc:
        raise not_installed(model) from exc
    finally:
        set_current_ops(previous)


def not_installed(model: str) -> RuntimeError:
    return RuntimeError(
        f"spaCy model {model!r} is not installed: pip install {model.replace('_', '-')}"
        f" (or run with --nlp-model {NO_NLP})"
    )


def require_installed(model: str) -> None:
    """Fail now, in this process, when `model` is neither `none` nor an installed package
    (cheaper than loading it, and clearer than a worker process that dies loading it)."""
    import importlib.util

    if model != NO_NLP and importlib.util.find_spec(model) is None:
        raise not_installed(model)


def _matmul_ops():
    """thinc's CPU ops with matrix products done by numpy's BLAS instead of blis.

    The blis wheel runs its generic kernel on some CPUs: measured on the project's 2-core build
    machine, blis gave 4.6 GFLOPS where numpy gave 26, and the French pipeline ran twice as fast
    with numpy's products (see bench/results.md).
    """
    import numpy
    from thinc.api import NumpyOps

    class MatmulOps(NumpyOps):
        name = "numpy-matmul"

        def gemm(self, x, y, out=None, trans1=False, trans2=False):
            x = x.T if trans1 else x
            y = y.T if trans2 else y
            if out is None:
                return numpy.matmul(x, y)
            numpy.matmul(x, y, out=out)
            return out

    return MatmulOps()


ANALYZERS: dict[str, Callable[[str], Analyzer]] = {NO_NLP: lambda _name: PlainAnalyzer()}


@lru_cache(maxsize=4)
def make_analyzer(model: str) -> Analyzer:
    """`none`, or the name of an installed spaCy pipeline package; loaded once a process."""
    factory = ANALYZERS.get(model, SpacyAnalyzer)
    return factory(model)
