"""A bag-of-words text classifier for spaCy that also sees character n-grams.

Children misspell, shorten and transliterate ("ppl", "kil myself", "menya travyat"); word
features alone miss those. Each token contributes its word, word pairs, and the character
3- to 5-grams of ``<token>``, hashed into one sparse linear layer with a softmax on top.
Registered as ``safebot.CharNgramBOW.v1`` so saved pipelines load by name.
"""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

import numpy
from spacy.attrs import ORTH
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import hash_string  # type: ignore[attr-defined]
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, SparseLinear_v2, chain, resizable, softmax_activation, with_cpu
from thinc.layers.resizable import resize_linear_weighted
from thinc.types import Floats2d

from nlu.lemmas import base_form

#: Keep the bias of newly added labels very negative, as spaCy does.
_NEG_VALUE = -5000


#: Words whose character n-gram keys are remembered (most words recur from message to message;
#: about 10 MB at most).
_CACHE_WORDS = 20_000


@lru_cache(maxsize=_CACHE_WORDS)
def _char_keys(text: str, sizes: tuple[int, int]) -> tuple[int, ...]:
    padded = f"<{text}>"
    low, high = sizes
    return tuple(
        hash_string(padded[i : i + n])
        for n in range(low, high + 1)
        for i in range(max(1, len(padded) - n + 1))
    )


def _extract(model: Model[Any, Any], docs: list[Doc], is_train: bool) -> tuple[Any, Any]:
    ngram_size: int = model.attrs["ngram_size"]
    low, high = model.attrs["char_ngrams"]  # a list once a saved pipeline is loaded
    sizes = (int(low), int(high))
    ops = model.ops
    batch_keys, batch_vals = [], []
    for doc in docs:
        unigrams: Any = ops.asarray(doc.to_array([ORTH]))  # type: ignore[arg-type]
        parts: list[Any] = [unigrams]
        for n in range(2, ngram_size + 1):
            if len(unigrams) >= n:
                parts.append(ops.ngrams(n, unigrams))
        chars = [
            key for token in doc if not token.is_space for key in _char_keys(token.lower_, sizes)
        ]
        parts.append(numpy.asarray(chars, dtype="uint64"))
        if model.attrs.get("base_forms"):
            base = base_form(doc.lang_)
            forms = [hash_string("§" + base(t.lower_)) for t in doc if not t.is_space]
            parts.append(numpy.asarray(forms, dtype="uint64"))
        keys = numpy.concatenate([numpy.asarray(p, dtype="uint64") for p in parts])
        if keys.size == 0:
            keys = numpy.asarray([hash_string("<empty>")], dtype="uint64")
        keys, counts = numpy.unique(keys, return_counts=True)
        batch_keys.append(keys)
        # Diminishing returns for repeats: "pls pls pls" is not three times more "pls".
        batch_vals.append(numpy.log1p(counts).astype("float32"))
    lengths = numpy.asarray([k.shape[0] for k in batch_keys], dtype="int32")
    keys_all = numpy.concatenate(batch_keys)
    vals_all = numpy.concatenate(batch_vals)

    def backprop(_d: Any) -> list[Any]:
        return []

    return (keys_all, vals_all, lengths), backprop


@registry.architectures("safebot.CharNgramBOW.v1")
def build_char_ngram_bow(
    exclusive_classes: bool = True,
    ngram_size: int = 2,
    char_min: int = 3,
    char_max: int = 5,
    length: int = 2**20,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Word n-grams plus character n-grams into one sparse linear layer."""
    length = 2 ** (length - 1).bit_length()
    extractor: Model[Any, Any] = Model(
        "safebot_ngrams",
        _extract,
        attrs={"ngram_size": ngram_size, "char_ngrams": (char_min, char_max)},
    )
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Floats2d, Floats2d] = resizable(
        sparse_linear,
        resize_layer=partial(resize_linear_weighted, fill_defaults={"b": _NEG_VALUE, "W": 0}),
    )
    with Model.define_operators({">>": chain}):
        model = with_cpu(extractor >> resizable_layer, extractor.ops)
        output = softmax_activation() if exclusive_classes else None
        if output is not None:
            model = model >> with_cpu(output, output.ops)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model


@registry.architectures("safebot.CharNgramBOW.v2")
def build_char_ngram_bow_v2(
    exclusive_classes: bool = True,
    ngram_size: int = 2,
    char_min: int = 3,
    char_max: int = 5,
    length: int = 2**20,
    nO: int | None = None,
    base_forms: bool = True,
) -> Model[list[Doc], Floats2d]:
    """As v1, plus each word's lemma (ru, uk) or stem (en, tr) as a feature."""
    model = build_char_ngram_bow(
        exclusive_classes=exclusive_classes,
        ngram_size=ngram_size,
        char_min=char_min,
        char_max=char_max,
        length=length,
        nO=nO,
    )
    for node in model.walk():
        if node.name == "safebot_ngrams":
            node.attrs["base_forms"] = base_forms
    return model
