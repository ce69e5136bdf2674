"""The spaCy peer of `npm run bench`, run by bench/spacyPeer.ts in its own venv (build/spacy-peer/venv):
  spacy_peer.py train DATA_DIR MODEL_DIR OUT_JSON
      trains spaCy's NER from scratch on DATA_DIR/{train,dev}.tsv (BIO, `word<TAB>tag`) into MODEL_DIR, unless
      MODEL_DIR already holds a model of the same data, config and spaCy version; writes {trained, seconds, ...}
  spacy_peer.py predict MODEL_DIR SENTENCES_JSON OUT_JSON
      labels pre-tokenized sentences (the bench's words, so tokenization is the engine's); writes
      {tokensPerSecond, seconds, loadSeconds, firstResultMs, maxRssMB, labels}
"""
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time

# One thread, like the engine's side; set before numpy is imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

MAX_STEPS = 3600
# Words per batch, growing from START to STOP (spaCy's default schedule, which ends at 1,000): about 620,000
# words (2.6 epochs) in 3,600 steps, about five minutes on one thread of the shared 2-core machine (306 s).
BATCH_START, BATCH_STOP = 100, 180
# Dev is part of the training data, so spaCy's dev scores are only progress; a slice of it keeps them cheap.
PROGRESS_SENTENCES = 300


def read_bio(path):
    sentences, words, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                word, tag = line.split("\t")
                words.append(word)
                tags.append(tag)
            elif words:
                sentences.append((words, tags))
                words, tags = [], []
    if words:
        sentences.append((words, tags))
    return sentences


def train(data_dir, model_dir, out_file):
    import spacy
    from spacy.cli.init_config import init_config
    from spacy.cli.train import train as spacy_train
    from spacy.tokens import Doc, DocBin

    config = init_config(lang="en", pipeline=["ner"], optimize="efficiency", gpu=False)
    config["training"].update({"max_steps": MAX_STEPS, "max_epochs": 0, "patience": 0, "eval_frequency": 600})
    config["training"]["batcher"]["size"].update({"start": BATCH_START, "stop": BATCH_STOP})
    files = [os.path.join(data_dir, name) for name in ("train.tsv", "dev.tsv")]
    digest = hashlib.sha256(f"{spacy.__version__}\n{config.to_str()}\n{PROGRESS_SENTENCES}\n".encode())
    for path in files:
        with open(path, "rb") as f:
            digest.update(f.read())
    key = digest.hexdigest()
    record_file = os.path.join(model_dir, "bench-training.json")
    if os.path.exists(record_file):
        with open(record_file) as f:
            record = json.load(f)
        if record["key"] == key:
            return write(out_file, {"trained": False, **record})

    work = tempfile.mkdtemp(prefix="spacy-peer-")
    nlp = spacy.blank("en")
    sentences = [s for path in files for s in read_bio(path)]
    to_docs = lambda part: DocBin(docs=[Doc(nlp.vocab, words=w, ents=t) for w, t in part])
    to_docs(sentences).to_disk(os.path.join(work, "train.spacy"))
    to_docs(read_bio(files[1])[:PROGRESS_SENTENCES]).to_disk(os.path.join(work, "dev.spacy"))
    config["paths"].update({"train": os.path.join(work, "train.spacy"), "dev": os.path.join(work, "dev.spacy")})
    config_file = os.path.join(work, "config.cfg")
    config.to_disk(config_file)
    started = time.perf_counter()
    spacy_train(config_file, os.path.join(work, "out"))
    seconds = time.perf_counter() - started
    # The last model, not spaCy's "best" one: its dev scores are on sentences it trained on.
    shutil.rmtree(model_dir, ignore_errors=True)
    shutil.move(os.path.join(work, "out", "model-last"), model_dir)
    shutil.rmtree(work)
    record = {"key": key, "seconds": seconds, "steps": MAX_STEPS, "sentences": len(sentences), "spacy": spacy.__version__}
    with open(record_file, "w") as f:
        json.dump(record, f)
    write(out_file, {"trained": True, **record})


def predict(model_dir, sentences_file, out_file):
    with open(sentences_file, encoding="utf-8") as f:
        sentences = json.load(f)
    started = time.perf_counter()
    import spacy
    from spacy.tokens import Doc

    nlp = spacy.load(model_dir)
    load_seconds = time.perf_counter() - started

    def label(part):
        # Batches of 64 sentences, the engine's largest: spaCy's default, 1,000, is no faster and peaks at 570 MB.
        docs = nlp.pipe((Doc(nlp.vocab, words=words) for words in part), batch_size=64)
        return [[f"{t.ent_iob_}-{t.ent_type_}" if t.ent_iob_ in ("B", "I") else "O" for t in doc] for doc in docs]

    labels = label(sentences[:1])
    first_result_ms = (time.perf_counter() - started) * 1000
    t0 = time.perf_counter()
    labels += label(sentences[1:])
    seconds = time.perf_counter() - t0
    write(out_file, {
        "tokensPerSecond": sum(len(s) for s in sentences[1:]) / seconds,
        "seconds": seconds,
        "loadSeconds": load_seconds,
        "firstResultMs": first_result_ms,
        "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "labels": labels,
    })


def write(path, value):
    with open(path, "w") as f:
        json.dump(value, f)


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    {"train": train, "predict": predict}[command](*rest)
