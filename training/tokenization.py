"""Sub-word tokenizer (Hugging Face `tokenizers`, WordPiece, BERT-style) and word-list encoding.

Words are the BIO file's own tokens. A sentence is encoded the way the TypeScript engine does it with
`@huggingface/tokenizers`: every word is encoded on its own without special tokens, the pieces are
concatenated, and [CLS] ... [SEP] surround them. A word whose encoding is empty (e.g. only control
characters, which the normalizer removes) becomes one [UNK]. The word's emission position is its first piece.
"""
from __future__ import annotations

import heapq
import json
import re
import string
from collections import Counter, defaultdict
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


def _base_tokenizer(vocab: dict[str, int], lowercase: bool = False) -> Tokenizer:
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token=UNK, continuing_subword_prefix="##",
                                     max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=lowercase
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tok


def build_vocab(counts: Counter, vocab_size: int, min_frequency: int = 2,
                initial_alphabet: str = ALPHABET) -> list[str]:
    """WordPiece vocabulary by BPE-style merges of the most frequent adjacent pieces (what the `tokenizers`
    WordPiece trainer does), but deterministic: ties are broken by the pieces' text, so the same corpus always
    gives the same vocabulary (the Rust trainer's hash-map order changes from run to run)."""
    chars = set(initial_alphabet)
    cont = set(initial_alphabet)
    words: list[list[str]] = []
    freqs: list[int] = []
    for w, f in sorted(counts.items()):
        syms = [w[0]] + ["##" + c for c in w[1:]]
        chars.add(w[0])
        cont.update(w[1:])
        words.append(syms)
        freqs.append(f)
    vocab = list(SPECIALS) + sorted(chars) + sorted("##" + c for c in cont)
    known = set(vocab)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    where: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, syms in enumerate(words):
        for p in zip(syms, syms[1:]):
            pairs[p] += freqs[i]
            where[p].add(i)
    heap = [(-c, p) for p, c in pairs.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        if pairs.get(pair, 0) != -neg:
            continue  # stale entry
        if -neg < min_frequency:
            break
        a, b = pair
        merged = a + b[2:]
        if merged not in known:
            known.add(merged)
            vocab.append(merged)
        changed: set[tuple[str, str]] = set()
        for i in sorted(where.pop(pair)):
            syms, f = words[i], freqs[i]
            for p in zip(syms, syms[1:]):
                pairs[p] -= f
                where[p].discard(i)
                changed.add(p)
            out, k = [], 0
            while k < len(syms):
                if k + 1 < len(syms) and syms[k] == a and syms[k + 1] == b:
                    out.append(merged)
                    k += 2
                else:
                    out.append(syms[k])
                    k += 1
            words[i] = out
            for p in zip(out, out[1:]):
                pairs[p] += f
                where[p].add(i)
                changed.add(p)
        for p in changed:
            c = pairs.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pairs.pop(p, None)
                where.pop(p, None)
    return vocab


def train_tokenizer(sentences: Iterable[list[str]], vocab_size: int, min_frequency: int = 2,
                    lowercase: bool = False) -> Tokenizer:
    """A cased BERT-style WordPiece tokenizer whose vocabulary is learnt from the words given."""
    probe = _base_tokenizer({UNK: 0}, lowercase)
    counts: Counter = Counter()
    raw: Counter = Counter(w for words in sentences for w in words)
    for w, f in raw.items():
        for piece, _ in probe.pre_tokenizer.pre_tokenize_str(probe.normalizer.normalize_str(w)):
            counts[piece] += f
    vocab = build_vocab(counts, vocab_size, min_frequency)
    tok = _base_tokenizer({p: i for i, p in enumerate(vocab)}, lowercase)
    cls_id, sep_id = tok.token_to_id(CLS), tok.token_to_id(SEP)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{CLS}:0 $A:0 {SEP}:0",
        pair=f"{CLS}:0 $A:0 {SEP}:0 $B:1 {SEP}:1",
        special_tokens=[(CLS, cls_id), (SEP, sep_id)],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def tokenizer_config(max_length: int, lowercase: bool = False) -> dict:
    """tokenizer_config.json for transformers / transformers.js (they read tokenizer.json for the rest)."""
    return {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": lowercase,
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


def char_table(tok: Tokenizer, max_chars: int) -> tuple[list[list[int]], list[str]]:
    """Character ids of every vocabulary entry: row v = the characters of piece v ('##' removed, a
    word-start marker first for pieces that begin a word), head+tail when longer than max_chars, 0-padded.
    Returns (table [vocab][max_chars], char vocabulary: index -> character; 0 pad, 1 unknown, 2 word start)."""
    vocab = tok.get_vocab()
    inv = sorted(vocab.items(), key=lambda kv: kv[1])
    chars = ["<pad>", "<unk>", "<w>"]
    index: dict[str, int] = {}
    rows: list[list[int]] = []
    for piece, i in inv:
        assert i == len(rows), "vocabulary ids must be contiguous"
        if piece in SPECIALS:
            seq = [piece]  # one dedicated symbol per special token
        elif piece.startswith("##"):
            seq = list(piece[2:])
        else:
            seq = ["<w>"] + list(piece)
        ids = []
        for c in seq:
            if c == "<w>":
                ids.append(2)
                continue
            if c not in index:
                index[c] = len(chars)
                chars.append(c)
            ids.append(index[c])
        if len(ids) > max_chars:
            head = max_chars // 2
            ids = ids[:head] + ids[len(ids) - (max_chars - head):]
        rows.append(ids + [0] * (max_chars - len(ids)))
    return rows, chars


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
