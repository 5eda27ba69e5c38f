"""Beam shell around the classifier: a pure stage the job runs `Pooled` (newswire/pooled.py),
a batch of items at a time, so that spaCy sees many texts in one `nlp.pipe` call and, with
worker processes, each process loads the model once."""

from __future__ import annotations

from collections.abc import Iterator

from newswire.core.model import Article, Classification, Item
from newswire.stages.classify.classifier import ClassifyTask, with_classification
from newswire.stages.classify.nlp import NO_NLP, require_installed


class ClassifyItems:
    """Items -> the same items with their classification.

    Args:
        nlp_model: a spaCy pipeline package, or `none` (the vocabulary alone).
    """

    name = "classify"

    def __init__(self, nlp_model: str) -> None:
        self.task = ClassifyTask(nlp_model)
        self.light = nlp_model == NO_NLP  # a model is ~250 MB and 20 s to load

    def setup(self) -> None:
        # Here, in the job's process: clearer than a worker process that dies loading it.
        require_installed(self.task.nlp_model)

    def inputs(self, item: Item) -> Article:
        return item.article

    def outputs(self, item: Item, result: Classification) -> Iterator[Item]:
        yield with_classification(item, result)
