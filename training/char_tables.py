"""The char-CNN of an exported graph as three lookup tables.

A width-k convolution over character embeddings is, at each position, the sum of k products of a filter slice
with one character's embedding: with a table per slice (the embedding matrix times that slice, a row per
character) it becomes k row lookups and a sum. The exported graph pads every word to 24 characters and ran the
convolution (im2col and a small GEMM), the padding mask (Where) and the transposes for every slot: 38 % of the
default model's time for about 4 % of its multiply-adds. The tables give the same features in a few passes.

The padding character (id 0) has a zero embedding, as the convolution's own zero padding at the word's edges,
so a neighbour beyond the edge is a lookup of row 0. The mask becomes a one-column table, the mask value (-1e4)
for the padding character and 0 for the others, added to the sum: a padded position stays under any real
position's feature, as before the max over positions. Kept apart from the feature tables, it leaves their range
alone, so that int8 quantization of their lookups (one scale per table) keeps them precise.

    python3 -m training.char_tables MODEL_DIR   rewrites MODEL_DIR/onnx/model.onnx in place, after checking
                                                that its logits are unchanged on the tokenizer's pieces
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

INT64_MAX = np.iinfo(np.int64).max


def rewrite(model) -> int:
    """Rewrites every char-CNN of the pattern `Gather(E, ids) → Transpose → Conv → Where(mask, c, ·) → ReduceMax`
    in place; returns how many it rewrote."""
    from onnx import helper, numpy_helper

    g = model.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def attr(node, name, default=None):
        return next((helper.get_attribute_value(a) for a in node.attribute if a.name == name), default)

    def constant(name):
        if name in inits:
            return numpy_helper.to_array(inits[name])
        node = producer.get(name)
        return numpy_helper.to_array(attr(node, "value")) if node is not None and node.op_type == "Constant" else None

    def only_consumer(name, op_type):
        users = consumers.get(name, [])
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    rewritten = 0
    for conv in [n for n in g.node if n.op_type == "Conv"]:
        width = list(attr(conv, "kernel_shape", []))
        if len(width) != 1 or conv.input[1] not in inits or len(conv.input) < 3 or conv.input[2] not in inits:
            continue
        k = width[0]
        p = k // 2
        if k % 2 != 1 or list(attr(conv, "pads", [0, 0])) != [p, p] or attr(conv, "group", 1) != 1 \
                or list(attr(conv, "strides", [1])) != [1] or list(attr(conv, "dilations", [1])) != [1]:
            continue
        transpose = producer.get(conv.input[0])
        if transpose is None or transpose.op_type != "Transpose" or list(attr(transpose, "perm", [])) != [0, 2, 1]:
            continue
        lookup = producer.get(transpose.input[0])
        if lookup is None or lookup.op_type != "Gather" or attr(lookup, "axis", 0) != 0 or lookup.input[0] not in inits:
            continue
        where = only_consumer(conv.output[0], "Where")
        reduce = where is not None and only_consumer(where.output[0], "ReduceMax")
        if not reduce or where.input[2] != conv.output[0] or list(attr(reduce, "axes", [])) != [2] or attr(reduce, "keepdims", 1) != 0:
            continue
        fill = constant(where.input[1])
        embedding = numpy_helper.to_array(inits[lookup.input[0]]).astype(np.float32)
        if fill is None or fill.size != 1 or float(fill) > -1e3 or np.any(embedding[0] != 0):
            continue
        weight = numpy_helper.to_array(inits[conv.input[1]]).astype(np.float32)  # [filters, dim, k]
        bias = numpy_helper.to_array(inits[conv.input[2]]).astype(np.float32)
        nodes = table_nodes(g, conv.name or conv.output[0], lookup.input[1], embedding, weight, bias, float(fill), reduce)
        at = list(g.node).index(reduce)
        g.node.remove(reduce)
        for offset, node in enumerate(nodes):
            g.node.insert(at + offset, node)
        rewritten += 1
    if rewritten:
        drop_unused(g)
    return rewritten


def table_nodes(g, base: str, ids: str, embedding, weight, bias, fill: float, reduce) -> list:
    """The nodes (their initializers added to `g`) that give `reduce`'s output from the character ids: per filter
    slice j a table (embedding × slice j, the bias in the centre one) looked up at each position's j-th neighbour,
    plus the mask table, summed and max-pooled over the characters."""
    from onnx import helper, numpy_helper

    k = weight.shape[2]
    p = k // 2
    tables = [embedding @ weight[:, :, j].T for j in range(k)]
    tables[p] = tables[p] + bias
    mask = np.zeros((len(embedding), 1), dtype=np.float32)
    mask[0] = fill

    def constant(value, name):
        g.initializer.append(numpy_helper.from_array(value, name))
        return name

    padded = f"{base}/padded_ids"
    nodes = [helper.make_node("Pad", [ids, constant(np.array([0, p, 0, p], dtype=np.int64), f"{base}/pads")], [padded], name=f"{base}/pad")]
    terms = []
    for j in range(k):
        neighbours = ids
        if j != p:
            neighbours = f"{base}/ids_{j}"
            bounds = [constant(np.array([value], dtype=np.int64), f"{base}/slice_{j}_{part}")
                      for part, value in (("starts", j), ("ends", j - 2 * p if j < 2 * p else INT64_MAX), ("axes", 1))]
            nodes.append(helper.make_node("Slice", [padded, *bounds], [neighbours], name=f"{base}/slice_{j}"))
        terms.append(f"{base}/term_{j}")
        table = constant(tables[j].astype(np.float32), f"{base}/table_{j}")
        nodes.append(helper.make_node("Gather", [table, neighbours], [terms[-1]], name=f"{base}/lookup_{j}", axis=0))
    terms.append(f"{base}/masked")
    nodes.append(helper.make_node("Gather", [constant(mask, f"{base}/mask"), ids], [terms[-1]], name=f"{base}/lookup_mask", axis=0))
    features = f"{base}/features"
    nodes.append(helper.make_node("Sum", terms, [features], name=f"{base}/sum"))
    # [slots, characters, filters]: the max runs over axis 1 now.
    nodes.append(helper.make_node("ReduceMax", [features], list(reduce.output), name=reduce.name, axes=[1], keepdims=0))
    return nodes


def drop_unused(g) -> None:
    """Removes the nodes and initializers no graph output depends on (nodes are in topological order)."""
    needed = {o.name for o in g.output}
    kept = []
    for node in reversed(list(g.node)):
        if any(o in needed for o in node.output):
            kept.append(node)
            needed.update(node.input)
    del g.node[:]
    g.node.extend(reversed(kept))
    unused = [t for t in g.initializer if t.name not in needed]
    for t in unused:
        g.initializer.remove(t)


def save(model, path: str) -> None:
    """Checks the graph and writes it in place of `path` through a temporary file."""
    import onnx

    onnx.checker.check_model(model)
    tmp = f"{path}.tmp-{os.getpid()}"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m training.char_tables", description=__doc__.split("\n\n")[0])
    ap.add_argument("model_dir")
    args = ap.parse_args(argv)
    import onnx

    from .export import session

    path = os.path.join(args.model_dir, "onnx", "model.onnx")
    before = onnx.load(path)
    after = onnx.load(path)
    count = rewrite(after)
    if not count:
        print(f"{path}: no char-CNN of the exported pattern; left as it is")
        return 0
    feeds = dict(zip(("input_ids", "attention_mask"), sample_batch(args.model_dir)))
    old, new = (session(m.SerializeToString()).run(None, feeds)[0] for m in (before, after))
    worst = float(np.abs(old - new).max())
    if worst > 1e-3:
        print(f"{path}: the rewritten graph's logits differ by up to {worst:g}; left as it is", file=sys.stderr)
        return 1
    save(after, path)
    print(f"{path}: {count} char-CNN(s) rewritten as lookup tables; logits within {worst:.2g} on {len(old)} windows")
    return 0


def sample_batch(model_dir: str):
    """Windows of every piece of the tokenizer (a few at a time, long and short), to compare two graphs on."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    size = tok.get_vocab_size()
    rng = np.random.default_rng(0)
    order = rng.permutation(np.arange(5, size))
    rows = [order[i:i + n] for i, n in zip(range(0, len(order), 40), rng.integers(1, 40, len(order) // 40 + 1))][:400]
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    width = max(len(r) for r in rows) + 2
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for b, r in enumerate(rows):
        ids[b, : len(r) + 2] = [cls, *r, sep]
        mask[b, : len(r) + 2] = 1
    return ids, mask


if __name__ == "__main__":
    sys.exit(main())
