"""The dataset manifest (datasets.json), shipped inside the helper package as ``chapters.manifest``."""
