"""The char-CNN of an exported graph as three lookup tables.

A width-k convolution over character embeddings is, at each position, the sum of k products of a filter slice
with one character's embedding: with a table per slice (the embedding matrix times that slice, a row per
character) it becomes k row lookups and a sum. The exported graph pads every word to 24 characters and ran the
convolution (im2col and a small GEMM), the padding mask (Where) and the transposes for every slot: 38 % of the
default model's time for about 4 % of its multiply-adds. The tables give the same features in a few passes.

The padding character (id 0) has a zero embedding, as the convolution's own zero padding at the word's edges,
so a neighbour beyond the edge is a lookup of row 0. The mask value (-1e4) goes into the centre table's row 0: a
padded position stays under any real position's feature, as before the max over positions. Only the positions up
to the batch's longest word are looked up: words are far shorter than the 24 slots. Folding the mask and
trimming the slots made the default model's int8 graph about 17 % faster (its lookups are not quantized, see
training.export.quantize, so the mask's range costs the tables no precision).

The export applies it (training/graph_rewrites.py, which also rewrites an older folder).
"""
from __future__ import annotations

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
    """The nodes (their initializers added to `g`) that give `reduce`'s output from the character ids: the ids cut
    to the batch's longest word, then per filter slice j a table (embedding × slice j; the bias and the mask in the
    centre one) looked up at each position's j-th neighbour, added and max-pooled over the characters."""
    from onnx import TensorProto, helper, numpy_helper

    k = weight.shape[2]
    p = k // 2
    tables = [embedding @ weight[:, :, j].T for j in range(k)]
    tables[p] = tables[p] + bias
    tables[p][0] += fill

    def constant(value, name):
        g.initializer.append(numpy_helper.from_array(np.asarray(value, dtype=np.int64), name))
        return name

    # Characters are left-aligned in their slots: the longest word is the largest count of non-zero ids (at
    # least 1, so that a batch without words still has a position to pool over).
    cut = f"{base}/cut"
    axis = constant([1], f"{cut}/axis")
    nodes = [
        helper.make_node("Cast", [ids], [f"{cut}/is_char"], to=TensorProto.BOOL, name=f"{cut}/is_char"),
        helper.make_node("Cast", [f"{cut}/is_char"], [f"{cut}/counts"], to=TensorProto.INT64, name=f"{cut}/counts"),
        helper.make_node("ReduceSum", [f"{cut}/counts", axis], [f"{cut}/lengths"], keepdims=0, name=f"{cut}/lengths"),
        helper.make_node("ReduceMax", [f"{cut}/lengths"], [f"{cut}/longest_word"], axes=[0], keepdims=1, name=f"{cut}/longest_word"),
        helper.make_node("Max", [f"{cut}/longest_word", constant([1], f"{cut}/one")], [f"{cut}/longest"], name=f"{cut}/longest"),
        helper.make_node("Slice", [ids, constant([0], f"{cut}/start"), f"{cut}/longest", axis], [cut], name=f"{cut}/slice"),
    ]
    padded = f"{base}/padded_ids"
    nodes.append(helper.make_node("Pad", [cut, constant([0, p, 0, p], f"{base}/pads")], [padded], name=f"{base}/pad"))
    features = None
    for j in range(k):
        neighbours = cut
        if j != p:
            neighbours = f"{base}/ids_{j}"
            bounds = [constant([value], f"{base}/slice_{j}_{part}")
                      for part, value in (("starts", j), ("ends", j - 2 * p if j < 2 * p else INT64_MAX), ("axes", 1))]
            nodes.append(helper.make_node("Slice", [padded, *bounds], [neighbours], name=f"{base}/slice_{j}"))
        term = f"{base}/term_{j}"
        g.initializer.append(numpy_helper.from_array(tables[j].astype(np.float32), f"{base}/table_{j}"))
        nodes.append(helper.make_node("Gather", [f"{base}/table_{j}", neighbours], [term], name=f"{base}/lookup_{j}", axis=0))
        # Adds of equal shapes: one Sum of all terms took ORT's slower variadic path.
        if features is None:
            features = term
        else:
            nodes.append(helper.make_node("Add", [features, term], [f"{base}/sum_{j}"], name=f"{base}/add_{j}"))
            features = f"{base}/sum_{j}"
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
