"""The word-level model's tokenizer (Hugging Face `tokenizers`, WordPiece over whitespace-split words) and
word-list encoding.

Words are the BIO file's own tokens. A sentence is encoded the way the TypeScript engine does it with
`@huggingface/tokenizers`: every word is encoded on its own without special tokens, the pieces are
concatenated, and [CLS] ... [SEP] surround them. A word whose encoding is empty (e.g. only control
characters, which the normalizer removes) becomes one [UNK]. The word's emission position is its first piece.
"""
from __future__ import annotations

import json
import re
import string
from collections import Counter
from typing import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

PAD, UNK, CLS, SEP, MASK = "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"
# Characters always in the vocabulary (as a word start and as '##' continuation), so that a word with a character
# the training text lacks is not one [UNK] as a whole: ASCII, Latin-1 letters and signs, Greek, dashes and quotes.
ALPHABET = (
    string.ascii_letters + string.digits + string.punctuation
    + "".join(chr(c) for c in range(0xA1, 0x100) if chr(c).isprintable() and c != 0xAD)
    + "".join(chr(c) for c in range(0x391, 0x3CA) if chr(c).isalpha())
    + "\u2010\u2011\u2012\u2013\u2014\u2018\u2019\u201c\u201d\u2032\u2033\u2192\u2264\u2265\u2212\u223c\u2022"
)
SPECIALS = [PAD, UNK, CLS, SEP, MASK]  # ids 0..4


def _add_special_tokens(tok: Tokenizer) -> None:
    """[CLS] ... [SEP] around a text, as BERT's tokenizers do; a WordPiece decoder for readable output."""
    cls_id, sep_id = tok.token_to_id(CLS), tok.token_to_id(SEP)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{CLS}:0 $A:0 {SEP}:0",
        pair=f"{CLS}:0 $A:0 {SEP}:0 $B:1 {SEP}:1",
        special_tokens=[(CLS, cls_id), (SEP, sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")


def word_key(word: str) -> str:
    """The form a word embedding is looked up by: lower case, every digit 0 (numbers share statistics)."""
    return re.sub(r"[0-9]", "0", word.lower())


def _word_tokenizer(vocab: list[str]) -> Tokenizer:
    tok = Tokenizer(models.WordPiece(vocab={p: i for i, p in enumerate(vocab)}, unk_token=UNK,
                                     continuing_subword_prefix="##", max_input_chars_per_word=1000))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False,
                                                strip_accents=False, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    _add_special_tokens(tok)
    return tok


def train_word_tokenizer(sentences: Iterable[list[str]], vocab_size: int, min_frequency: int = 2,
                         max_piece_chars: int = 16) -> Tokenizer:
    """A whitespace-split WordPiece tokenizer for the word-level model: one pre-token per word, the most
    frequent words as whole pieces (ties broken by text, so the vocabulary is deterministic), every other word
    spelled with the longest whole-word prefix and single '##' characters."""
    normalize = _word_tokenizer(SPECIALS).normalizer.normalize_str
    counts: Counter = Counter(normalize(w) for words in sentences for w in words)
    counts.pop("", None)
    chars = set(ALPHABET) | {c for w in counts for c in w}
    vocab = list(SPECIALS) + sorted(chars) + sorted("##" + c for c in chars)
    known = set(vocab)
    frequent = sorted((w for w, f in counts.items() if f >= min_frequency and len(w) <= max_piece_chars
                       and w not in known), key=lambda w: (-counts[w], w))
    return _word_tokenizer(vocab + frequent[: max(0, vocab_size - len(vocab))])


def spelling(tok: Tokenizer) -> tuple[dict, list[str], list[str]]:
    """The tables Tagger's graph spells words with. Returns (tables, character vocabulary (0 pad,
    1 unknown), word-embedding vocabulary (0 pad, 1 unknown word) of the whole-word pieces' word_key)."""
    pieces = [p for p, _ in sorted(tok.get_vocab().items(), key=lambda kv: kv[1])]
    longest = max(len(p) for p in pieces if p not in SPECIALS and not p.startswith("##"))
    char_vocab = ["<pad>", "<unk>"] + sorted({c for p in pieces if p not in SPECIALS for c in p.removeprefix("##")})
    char_index = {c: i for i, c in enumerate(char_vocab)}
    word_vocab = ["<pad>", "<unk>"] + sorted({word_key(p) for p in pieces if p not in SPECIALS and not p.startswith("##")})
    word_index = {w: i for i, w in enumerate(word_vocab)}
    rows, lengths, starts, continues, words = [], [], [], [], []
    for p in pieces:
        special = p in SPECIALS
        text = "" if special else p.removeprefix("##")
        ids = [char_index[c] for c in text] if p != UNK else [1]
        rows.append(ids + [0] * (longest - len(ids)))
        lengths.append(len(ids))
        starts.append(p == UNK or (not special and not p.startswith("##")))
        continues.append(not special and p.startswith("##"))
        words.append(1 if p == UNK else word_index.get(word_key(text), 0) if starts[-1] else 0)
    tables = {"chars": rows, "lengths": lengths, "starts": starts, "continues": continues, "words": words,
              "unk_word": 1}
    return tables, char_vocab, word_vocab


def tokenizer_config(max_length: int) -> dict:
    """tokenizer_config.json for transformers / transformers.js (they read tokenizer.json for the rest)."""
    return {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": False,
        "strip_accents": False,
        "tokenize_chinese_chars": True,
        "model_max_length": max_length,
        "pad_token": PAD,
        "unk_token": UNK,
        "cls_token": CLS,
        "sep_token": SEP,
        "mask_token": MASK,
        "clean_up_tokenization_spaces": True,
    }


class WordEncoder:
    """Encodes pre-split words with a cache; see the module docstring for the exact rule."""

    def __init__(self, tok: Tokenizer):
        self.tok = tok
        self.unk = tok.token_to_id(UNK)
        self.cls = tok.token_to_id(CLS)
        self.sep = tok.token_to_id(SEP)
        self.pad = tok.token_to_id(PAD)
        self.cache: dict[str, list[int]] = {}

    def words(self, words: list[str]) -> list[list[int]]:
        missing = list({w for w in words if w not in self.cache})
        if missing:
            for w, enc in zip(missing, self.tok.encode_batch(missing, add_special_tokens=False)):
                self.cache[w] = enc.ids or [self.unk]
        return [self.cache[w] for w in words]


def save_tokenizer(tok: Tokenizer, path: str) -> None:
    tok.save(path, pretty=False)
    # Sanity: what we wrote loads back.
    Tokenizer.from_file(path)


def dump_json(obj, path: str) -> None:
    """Indented JSON, with lists of numbers kept on one line (CRF matrix rows stay readable)."""
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    text = re.sub(r"\[\s+(-?[0-9][-0-9.e+,\s]*?)\s+\]", lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
