"""Reads an exported Triton model the way Triton and ONNX do, for test/cli/exportServing.test.ts (run in its venv):
  triton_config_check.py CONFIG_PBTXT MODEL_ONNX
      parses CONFIG_PBTXT as protobuf text into Triton's own ModelConfig message (tritonclient's model_config_pb2,
      compiled from Triton's model_config.proto: an unknown field, a wrong type or an unknown enum value is an error),
      loads and checks MODEL_ONNX with the onnx package, and prints
      {"config": the parsed ModelConfig as JSON, "graph": {"inputs", "outputs": [{name, type, dims}]}}
      (ONNX element type names such as INT64 and FLOAT; -1 for a dimension without a fixed size).
Exit 1 with the parser's located message when the config does not parse.
"""
import json
import sys

import onnx
from google.protobuf import json_format, text_format
from tritonclient.grpc import model_config_pb2


def tensors(values):
    def dim(d):
        return d.dim_value if d.HasField("dim_value") else -1

    return [
        {
            "name": v.name,
            "type": onnx.TensorProto.DataType.Name(v.type.tensor_type.elem_type),
            "dims": [dim(d) for d in v.type.tensor_type.shape.dim],
        }
        for v in values
    ]


def main(config_path, graph_path):
    with open(config_path, encoding="utf-8") as f:
        try:
            config = text_format.Parse(f.read(), model_config_pb2.ModelConfig())
        except text_format.ParseError as error:
            sys.exit(f"{config_path}:{error}")
    model = onnx.load(graph_path)
    onnx.checker.check_model(model)
    # Older exporters list initializers among the inputs: those are weights, not what a client sends.
    weights = {w.name for w in model.graph.initializer}
    graph = {"inputs": tensors(i for i in model.graph.input if i.name not in weights), "outputs": tensors(model.graph.output)}
    print(json.dumps({"config": json_format.MessageToDict(config, preserving_proto_field_name=True), "graph": graph}))


if __name__ == "__main__":
    main(*sys.argv[1:])
