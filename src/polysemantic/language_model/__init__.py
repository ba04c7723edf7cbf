"""The tiny language model of chapters 02 and 08, and the text it learns from.

corpus.py generates five domains of text with a fixed seed; tiny_lm.py is the
byte-level model, its trainer, its loss per domain and the committed weights.
"""
