"""Chapter 09's character language models and sample measures, kept for chapter 13.

Chapter 09 writes these functions out, as its lesson; chapter 13 reuses them to put its
Transformer decoder beside the bigram model and the character LSTM, and to measure its samples the
same way. A test keeps the two copies identical. Import this module after ``chapters.setup``: it
imports Keras.
"""

import re

import keras
import numpy as np
from keras import layers


def bigram_probabilities(train_codes, num_characters):
    """Return the table P(next | previous) counted on ``train_codes``: row = previous code, column = next."""
    pair_counts = np.ones((num_characters, num_characters))  # add-one smoothing
    np.add.at(pair_counts, (train_codes[:-1], train_codes[1:]), 1)
    return pair_counts / pair_counts.sum(axis=1, keepdims=True)


def build_char_lstm(num_characters, sequence_length, units, learning_rate):
    """Return a compiled LSTM mapping windows of character codes to next-character probabilities."""
    window_input = keras.Input(shape=(sequence_length,), dtype="int32")
    embedded = layers.Embedding(num_characters, 32)(window_input)
    state = layers.LSTM(units)(embedded)
    next_character = layers.Dense(num_characters, activation="softmax")(state)
    model = keras.Model(window_input, next_character, name="char_lstm")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    return model


def distinct_share(texts, n=4):
    """Return the number of distinct character n-grams in ``texts`` divided by the number of n-grams."""
    ngrams = [text[start : start + n] for text in texts for start in range(len(text) - n + 1)]
    return len(set(ngrams)) / len(ngrams)


def real_word_share(texts, known_words):
    """Return the share of the words (runs of letters) in ``texts`` that are in the set ``known_words``."""
    words = [word for text in texts for word in re.findall(r"[a-z]+", text)]
    return sum(word in known_words for word in words) / max(len(words), 1)
