"""The IMDB text pipeline, on the small mirror's aclImdb archive (tests/small_mirror.py), into an
empty Keras cache."""

import keras
import numpy as np

from chapters import text


def test_imdb_subsets_are_fixed_labelled_and_vectorizable(keras_cache, small_mirror, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(small_mirror))
    splits = text.imdb_text_datasets(batch_size=50, max_train_reviews=200, max_test_reviews=100, seed=1)

    def contents(dataset):
        return [
            (review, float(label[0]))
            for texts, labels in dataset
            for review, label in zip(texts.numpy(), labels.numpy(), strict=True)
        ]

    train = contents(splits.train)
    assert len(train) == 200 and len(contents(splits.validation)) == 50 and len(contents(splits.test)) == 100
    assert train == contents(splits.train), "each pass must see the same reviews"
    assert {label for _, label in train} == {0.0, 1.0}
    assert not {review for review, _ in train} & {review for review, _ in contents(splits.validation)}

    vectorizer = keras.layers.TextVectorization(max_tokens=1_000, output_mode="multi_hot")
    vectorizer.adapt(text.texts_only(splits.train))
    vectors, labels = next(iter(text.vectorize(splits.train, vectorizer, shuffle_batches=True)))
    assert tuple(vectors.shape) == (50, 1_000) and tuple(labels.shape) == (50, 1)
    assert set(np.unique(np.asarray(vectors))) <= {0, 1}
    assert vectors.dtype == "uint8", "multi-hot vectors are cached in a quarter of float32's memory"

    counter = keras.layers.TextVectorization(max_tokens=1_000, output_mode="count")
    counter.adapt(text.texts_only(splits.train))
    counts, _ = next(iter(text.vectorize(splits.train, counter)))
    assert counts.dtype != "uint8", "counts can pass 255, so only multi-hot vectors are narrowed"
