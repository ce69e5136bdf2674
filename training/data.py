"""Reading and validating BIO/CoNLL files (token<TAB>tag, blank line between sentences).

Nothing here imports torch, so bad input is reported within milliseconds.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

TAG_RE = re.compile(r"^(?:O|([BI])-(\S+))$")


class InputError(Exception):
    """A problem with the user's input that deserves a clear one-line message (file:line: what)."""


@dataclass
class Sentence:
    words: list[str]
    tags: list[str]
    # 1-based line number of the first token, for messages.
    line: int = 0


@dataclass
class Corpus:
    path: str
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def n_tokens(self) -> int:
        return sum(len(s.words) for s in self.sentences)

    def types(self) -> dict[str, tuple[int, str]]:
        """Entity types -> (line, tag) of their first occurrence."""
        seen: dict[str, tuple[int, str]] = {}
        for s in self.sentences:
            for i, tag in enumerate(s.tags):
                if tag != "O":
                    t = tag[2:]
                    if t not in seen:
                        seen[t] = (s.line + i, tag)
        return seen


def read_bio(path: str) -> Corpus:
    """Parses a BIO file. Token = first column, tag = last column (tab-separated, or whitespace-separated
    when the line has no tab). `-DOCSTART-` lines are skipped. Raises InputError with file:line on any problem."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, expected a BIO file")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 (byte offset {e.start})") from e
    if text.startswith("\ufeff"):
        text = text[1:]
    corpus = Corpus(path)
    words: list[str] = []
    tags: list[str] = []
    start = 0
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\r")
        if not line.strip():
            if words:
                corpus.sentences.append(Sentence(words, tags, start))
                words, tags = [], []
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        cols = [c.strip() for c in cols]
        if cols[0] == "-DOCSTART-":
            if words:
                corpus.sentences.append(Sentence(words, tags, start))
                words, tags = [], []
            continue
        if len(cols) < 2 or not cols[0] or not cols[-1]:
            raise InputError(
                f"{path}:{n}: malformed line {line[:60]!r}: expected 'token<TAB>tag'"
            )
        tag = cols[-1]
        if not TAG_RE.match(tag):
            raise InputError(
                f"{path}:{n}: malformed tag {tag!r}: expected 'O', 'B-Type' or 'I-Type' (IOB2)"
            )
        if not words:
            start = n
        words.append(cols[0])
        tags.append(tag)
    if words:
        corpus.sentences.append(Sentence(words, tags, start))
    if not corpus.sentences:
        raise InputError(f"{path}: empty file: no sentence (expected 'token<TAB>tag' lines)")
    return corpus


def repair_iob2(tags: list[str]) -> tuple[list[str], int]:
    """Makes a tag sequence valid IOB2 the way conlleval reads it: an I-X that does not continue an X
    entity starts one (becomes B-X). Returns the new tags and how many were changed."""
    out = []
    fixed = 0
    prev = "O"
    for tag in tags:
        if tag.startswith("I-") and (prev == "O" or prev[2:] != tag[2:]):
            tag = "B-" + tag[2:]
            fixed += 1
        out.append(tag)
        prev = tag
    return out, fixed


def label_list(types: list[str]) -> list[str]:
    """The model's labels, in id order: O, then B-T, I-T for each type in sorted order."""
    labels = ["O"]
    for t in sorted(types):
        labels += [f"B-{t}", f"I-{t}"]
    return labels


def check_labels(train_types: set[str], other: Corpus, role: str) -> None:
    missing = {t: v for t, v in other.types().items() if t not in train_types}
    if missing:
        first = sorted(missing.items(), key=lambda kv: kv[1][0])
        where = ", ".join(f"{v[1]!r} ({other.path}:{v[0]})" for _, v in first[:5])
        raise InputError(
            f"{other.path}: {role} has entity types that the training data lacks: {where}"
            f"; train types: {', '.join(sorted(train_types)) or '(none)'}"
        )
