"""Builds test/fixtures/hf: tiny, randomly initialised Hugging Face token classifiers exported as Optimum would.

    /usr/bin/python3 -m training.make_hf_fixtures [--out test/fixtures/hf] [--only bert,electra,...]

Each folder is what `optimum-cli export onnx --task token-classification` (or transformers.js's conversion
script) writes for a real checkpoint of that family, only much smaller: config.json (saved by transformers,
so model_type, id2label, label2id are the library's own), tokenizer.json + tokenizer_config.json +
special_tokens_map.json (saved by the family's PreTrainedTokenizerFast subclass), and onnx/model.onnx
(torch.onnx.export of the *ForTokenClassification model, dynamic batch and sequence axes, the forward's input
names, output `logits`). The tokenizers are trained with the `tokenizers` library on the words of
test/fixtures/corpus/*.tsv, in the style of each family's published tokenizer.json:

- bert:       WordPiece, BertNormalizer (cased), BertPreTokenizer, [CLS] $A [SEP]; graph inputs input_ids,
              attention_mask, token_type_ids (BERT, BioBERT, PubMedBERT).
- electra:    WordPiece, BertNormalizer (uncased, like google/electra-*), [CLS] $A [SEP]; exported with input_ids
              and attention_mask only; max_position_embeddings 64, so that sentences are windowed.
- deberta-v3: Unigram (SentencePiece-style), Strip + Precompiled + Replace normalizers, Metaspace, [CLS] $A [SEP],
              DebertaV2ForTokenClassification with relative attention and no token type embeddings (so no
              token_type_ids input, as Optimum exports DeBERTa-v3).
- roberta:    byte-level BPE, <s> $A </s> (RobertaProcessing), add_prefix_space false as in roberta-base (the
              engine must mark the space before every word but the first itself); inputs input_ids and
              attention_mask, max_position_embeddings 514 with model_max_length 512.

Weights are random (fixed seeds); the classifier's weights are drawn wider than transformers' default so that
the labels' logits are well apart and argmax comparisons between runtimes do not hinge on rounding. The
fixtures test loading, tokenization and sub-word alignment, not accuracy. Every export is checked: the ONNX
graph's inputs and outputs, and its logits against PyTorch's on a padded batch (as Optimum validates).
"""
from __future__ import annotations

import argparse
import glob
import json
import math
import os
import shutil
import struct
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LABELS = ["O", "B-Chemical", "I-Chemical", "B-Disease", "I-Disease"]
VOCAB_SIZE = 2000
SEED = 20240611
MAX_BYTES = 1_000_000
# Continuing characters while WordPiece merges are learnt (see wordpiece()): U+F0000 + the character.
CONTINUING = 0xF0000

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def corpus_words(root: str = ROOT) -> list[list[str]]:
    """Sentences (lists of words, first column) of the shipped corpus excerpts, -DOCSTART- lines left out."""
    sentences: list[list[str]] = []
    for path in sorted(glob.glob(os.path.join(root, "test", "fixtures", "corpus", "*.tsv"))):
        words: list[str] = []
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line.strip():
                    if words:
                        sentences.append(words)
                    words = []
                    continue
                word = line.split("\t")[0]
                if word != "-DOCSTART-":
                    words.append(word)
        if words:
            sentences.append(words)
    return sentences


# ---------------------------------------------------------------------------------------------------- tokenizers

def wordpiece(texts: list[str], lowercase: bool):
    """A BERT/ELECTRA-style tokenizer.json (as transformers' BertConverter writes it), its vocabulary learnt the way
    tokenizers' WordPieceTrainer learns it (BPE merges, `##` on pieces that continue a word).

    WordPieceTrainer numbers the `##` pieces in hash-map order, and merges of equal counts are then taken in that
    order, so its vocabulary changes from run to run. Here tokenizers' BpeTrainer, which is deterministic given
    a fixed alphabet, learns the merges on words whose continuing characters are moved to the private-use plane
    (so `a` starting a word and `##a` continuing one are distinct symbols); the pieces are mapped back after."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=lowercase)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words = [w for t in texts for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(t))]
    words = [w for w in words if all(ord(c) <= 0xFFFF for c in w)]
    marked = [w[0] + "".join(chr(CONTINUING + ord(c)) for c in w[1:]) for w in words]
    learner = Tokenizer(models.BPE())
    learner.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    learner.train_from_iterator(
        (" ".join(marked[i:i + 64]) for i in range(0, len(marked), 64)),
        trainers.BpeTrainer(vocab_size=VOCAB_SIZE - 5, special_tokens=[], show_progress=False,
                            initial_alphabet=sorted({c for w in marked for c in w})))
    def unmark(piece: str) -> str:
        text = "".join(chr(ord(c) - CONTINUING) if ord(c) >= CONTINUING else c for c in piece)
        return "##" + text if ord(piece[0]) >= CONTINUING else text

    pieces = [unmark(p) for p, _ in sorted(learner.get_vocab().items(), key=lambda kv: kv[1])]
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {p: i for i, p in enumerate(special + pieces)}
    assert len(vocab) == len(special) + len(pieces), "a piece appears twice"
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix="##", max_input_chars_per_word=100))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.add_special_tokens(special)
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    tok.decoder = decoders.WordPiece(prefix="##")
    return tok


def identity_charsmap() -> bytes:
    """A valid SentencePiece precompiled_charsmap that maps nothing: a 256-unit double-array trie whose units all
    carry label 0, so no byte ever matches. (DeBERTa-v3's own charsmap is SentencePiece's nmt_nfkc table, which
    needs the sentencepiece package to build; @huggingface/tokenizers ignores the table and applies NFKC.)"""
    units = 256
    return struct.pack("<I", units * 4) + bytes(units * 4)


def unigram(texts: list[str]):
    """A DeBERTa-v3-style tokenizer.json (as transformers' DebertaV2Converter writes it from spm.model)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    normalizer = normalizers.Sequence([
        normalizers.Strip(left=True, right=True),
        normalizers.Precompiled(identity_charsmap()),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    special = ["[PAD]", "[CLS]", "[SEP]", "[UNK]"]
    learner = Tokenizer(models.Unigram())
    learner.normalizer = normalizer
    learner.pre_tokenizer = pre_tokenizer
    learner.train_from_iterator(texts, trainers.UnigramTrainer(
        vocab_size=VOCAB_SIZE - 1, special_tokens=special, unk_token="[UNK]",
        shrinking_factor=0.75, max_piece_length=16, n_sub_iterations=2, show_progress=False))
    # The trainer's pieces are the same from run to run but its scores are not quite (sums in hash-map order):
    # score the pieces by their log frequency in the words, and number them by score, then text, as spm does.
    # DeBERTa-v3: [PAD] 0, [CLS] 1, [SEP] 2, [UNK] 3, ..., [MASK] last.
    words = "\0".join(w for t in texts for w, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(t)))
    pieces = sorted(p for p, _ in json.loads(learner.to_str())["model"]["vocab"] if p not in special)
    counts = {p: words.count(p) + 1 for p in pieces}
    total = sum(counts.values())
    learnt = sorted(((p, round(math.log(n / total), 6)) for p, n in counts.items()), key=lambda ps: (-ps[1], ps[0]))
    vocab = [(p, 0.0) for p in special] + learnt + [("[MASK]", 0.0)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=special.index("[UNK]"), byte_fallback=False))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.add_special_tokens(special + ["[MASK]"])
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0", pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", special_tokens=[("[CLS]", 1), ("[SEP]", 2)])
    return tok


def byte_bpe(texts: list[str]):
    """A RoBERTa-style tokenizer.json as roberta-base's (and GPT-2's): byte-level BPE without add_prefix_space, so
    only the words after the first one start with a space mark (`Ġ`) and word-by-word encoding must add it."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE(unk_token=None, continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(sep=("</s>", tok.token_to_id("</s>")), cls=("<s>", tok.token_to_id("<s>")),
                                                      trim_offsets=True, add_prefix_space=False)
    return tok


# ------------------------------------------------------------------------------------------------------- models

def build_bert(texts):
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    tok = wordpiece(texts, lowercase=False)
    fast = BertTokenizerFast(tokenizer_object=tok, do_lower_case=False, tokenize_chinese_chars=True, strip_accents=None,
                             model_max_length=512, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                             cls_token="[CLS]", mask_token="[MASK]")
    config = BertConfig(vocab_size=tok.get_vocab_size(), max_position_embeddings=512, type_vocab_size=2,
                        pad_token_id=tok.token_to_id("[PAD]"), **TINY)
    return fast, config, BertForTokenClassification, ["input_ids", "attention_mask", "token_type_ids"], 14


def build_electra(texts):
    from transformers import ElectraConfig, ElectraForTokenClassification, ElectraTokenizerFast

    tok = wordpiece(texts, lowercase=True)
    fast = ElectraTokenizerFast(tokenizer_object=tok, do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None,
                                model_max_length=64, unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]",
                                cls_token="[CLS]", mask_token="[MASK]")
    config = ElectraConfig(vocab_size=tok.get_vocab_size(), embedding_size=32, max_position_embeddings=64, type_vocab_size=2,
                           pad_token_id=tok.token_to_id("[PAD]"), **TINY)
    return fast, config, ElectraForTokenClassification, ["input_ids", "attention_mask"], 14


def build_deberta_v3(texts):
    from transformers import DebertaV2Config, DebertaV2ForTokenClassification, DebertaV2TokenizerFast

    tok = unigram(texts)
    fast = DebertaV2TokenizerFast(tokenizer_object=tok, do_lower_case=False, split_by_punct=False, model_max_length=512,
                                  bos_token="[CLS]", eos_token="[SEP]", unk_token="[UNK]", sep_token="[SEP]",
                                  pad_token="[PAD]", cls_token="[CLS]", mask_token="[MASK]")
    # microsoft/deberta-v3-* config, scaled down.
    config = DebertaV2Config(vocab_size=tok.get_vocab_size(), max_position_embeddings=512, type_vocab_size=0,
                             relative_attention=True, position_buckets=256, norm_rel_ebd="layer_norm", share_att_key=True,
                             pos_att_type=["p2c", "c2p"], layer_norm_eps=1e-7, max_relative_positions=-1,
                             position_biased_input=False, hidden_act="gelu", pad_token_id=tok.token_to_id("[PAD]"), **TINY)
    return fast, config, DebertaV2ForTokenClassification, ["input_ids", "attention_mask"], 17


def build_roberta(texts):
    from transformers import RobertaConfig, RobertaForTokenClassification, RobertaTokenizerFast

    tok = byte_bpe(texts)
    fast = RobertaTokenizerFast(tokenizer_object=tok, add_prefix_space=False, trim_offsets=True, model_max_length=512,
                                bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                pad_token="<pad>", mask_token="<mask>")
    config = RobertaConfig(vocab_size=tok.get_vocab_size(), max_position_embeddings=514, type_vocab_size=1,
                           pad_token_id=tok.token_to_id("<pad>"), bos_token_id=tok.token_to_id("<s>"),
                           eos_token_id=tok.token_to_id("</s>"), layer_norm_eps=1e-5, **TINY)
    return fast, config, RobertaForTokenClassification, ["input_ids", "attention_mask"], 14


FIXTURES = {"bert": build_bert, "electra": build_electra, "deberta-v3": build_deberta_v3, "roberta": build_roberta}


# ------------------------------------------------------------------------------------------------------- export

def export_onnx(model, path: str, input_names: list[str], opset: int, sample: dict) -> None:
    """torch.onnx.export as Optimum's exporter calls it: named inputs, dynamic batch/sequence axes, `logits`."""
    import io
    import warnings
    from contextlib import redirect_stderr, redirect_stdout

    import torch

    axes = {"batch_size": 0, "sequence_length": 1}
    dynamic = {name: {i: n for n, i in axes.items()} for name in input_names + ["logits"]}
    with torch.no_grad(), warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (dict((n, sample[n]) for n in input_names),), path, input_names=input_names,
                          output_names=["logits"], dynamic_axes=dynamic, opset_version=opset, do_constant_folding=True)


def check_export(path: str, model, input_names: list[str], sample: dict) -> float:
    """The graph declares exactly the expected inputs and `logits`, and matches PyTorch on a padded batch."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    import torch

    graph = onnx.load(path).graph
    inputs = [i.name for i in graph.input]
    outputs = [o.name for o in graph.output]
    if inputs != input_names or outputs != ["logits"]:
        raise SystemExit(f"{path}: inputs {inputs}, outputs {outputs}; expected {input_names} and ['logits']")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feeds = {n: sample[n].numpy() for n in input_names}
    got = sess.run(["logits"], feeds)[0]
    with torch.no_grad():
        want = model(**{n: sample[n] for n in input_names}).logits.numpy()
    mask = sample["attention_mask"].numpy().astype(bool)
    diff = float(np.abs(got - want)[mask].max())
    if diff > 1e-4:
        raise SystemExit(f"{path}: ONNX logits differ from PyTorch's by {diff}")
    return diff


def sample_batch(fast, sentences: list[list[str]], max_length: int) -> dict:
    """A padded batch of two sentences of different lengths (the second one shorter)."""
    enc = fast([" ".join(sentences[0]), " ".join(sentences[1][:4])], padding=True, truncation=True, max_length=max_length,
               return_tensors="pt", return_token_type_ids=True)
    return dict(enc)


def build(name: str, out_dir: str, sentences: list[list[str]]) -> dict:
    import torch

    texts = [" ".join(s) for s in sentences]
    fast, config, model_class, input_names, opset = FIXTURES[name](texts)
    config.id2label = dict(enumerate(LABELS))
    config.label2id = {label: i for i, label in enumerate(LABELS)}
    config.architectures = [model_class.__name__]
    torch.manual_seed(SEED)
    model = model_class(config).eval()
    with torch.no_grad():
        # Wider than the default N(0, 0.02): well-separated label logits (see the module docstring).
        generator = torch.Generator().manual_seed(SEED + 1)
        model.classifier.weight.copy_(torch.randn(model.classifier.weight.shape, generator=generator))
        model.classifier.bias.zero_()

    tmp = tempfile.mkdtemp(prefix=f".{name}-", dir=os.path.dirname(os.path.abspath(out_dir)))
    try:
        config.save_pretrained(tmp)
        fast.save_pretrained(tmp, legacy_format=False)
        os.makedirs(os.path.join(tmp, "onnx"))
        onnx_path = os.path.join(tmp, "onnx", "model.onnx")
        sample = sample_batch(fast, sentences, config.max_position_embeddings - 2)
        export_onnx(model, onnx_path, input_names, opset, sample)
        diff = check_export(onnx_path, model, input_names, sample)
        files = sorted(os.path.relpath(os.path.join(d, f), tmp) for d, _, fs in os.walk(tmp) for f in fs)
        size = sum(os.path.getsize(os.path.join(tmp, f)) for f in files)
        if size > MAX_BYTES:
            raise SystemExit(f"{name}: {size} bytes, more than {MAX_BYTES}")
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return {"name": name, "model_type": config.model_type, "inputs": input_names, "opset": opset,
            "vocab": config.vocab_size, "max_length": fast.model_max_length, "bytes": size, "max_diff": diff, "files": files}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m training.make_hf_fixtures")
    p.add_argument("--out", default=os.path.join(ROOT, "test", "fixtures", "hf"))
    p.add_argument("--only", default=",".join(FIXTURES), help="comma-separated subset of: " + ", ".join(FIXTURES))
    a = p.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch

    torch.set_num_threads(1)
    names = [n for n in a.only.split(",") if n]
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        p.error(f"unknown fixture(s): {', '.join(unknown)}")
    os.makedirs(a.out, exist_ok=True)
    sentences = corpus_words()
    for name in names:
        report = build(name, os.path.join(a.out, name), sentences)
        print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
