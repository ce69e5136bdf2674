"""BioNER trainer: trains token classifiers from BIO files and writes the model folder the server loads.

Run from the repository root: ``python3 -m training.train --train F --dev F --out DIR``.
"""
