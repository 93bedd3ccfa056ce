"""Features: turn parsed lines and sequences into vectors, in the stream.

* :mod:`glove` and :mod:`sentence`: the two installed embedding models (GloVe 6B 50-d word
  vectors, all-MiniLM-L6-v2 sentence vectors); both load lazily on first use.
"""
