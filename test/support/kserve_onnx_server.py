"""A KServe ModelServer serving an exported ONNX graph with onnxruntime on the v2 (Open Inference) protocol: REST, and
gRPC on --grpc_port.

A CPU stand-in for Triton's ONNX Runtime backend, for bioner's remote-backend tests. Flags make it misbehave on
purpose: --reject-binary refuses binary tensor data (400), --rename-input OLD=NEW declares a wrong input name in the
model metadata. --max-batch-size N refuses requests of more than N rows (400, gRPC INVALID_ARGUMENT) in Triton's words,
as Triton does past the max_batch_size of the model's config.
"""
import argparse

import kserve
import onnxruntime
from kserve.errors import InvalidInput
from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse

# Element types onnxruntime names, as the v2 protocol names them.
V2_TYPE = {"tensor(int64)": "INT64", "tensor(float)": "FP32"}


def signature(value, renamed):
    return {"name": renamed.get(value.name, value.name), "datatype": V2_TYPE[value.type], "shape": [d if isinstance(d, int) else -1 for d in value.shape]}


class OnnxModel(kserve.Model):
    def __init__(self, name, graph, args):
        super().__init__(name)
        self.session = onnxruntime.InferenceSession(graph, providers=["CPUExecutionProvider"])
        self.args = args
        self.renamed = dict(pair.split("=", 1) for pair in args.rename_input)
        self.ready = True

    def get_input_types(self):
        return [signature(value, self.renamed) for value in self.session.get_inputs()]

    def get_output_types(self):
        return [signature(value, {}) for value in self.session.get_outputs()]

    async def predict(self, payload: InferRequest, headers=None, response_headers=None):
        rows = payload.inputs[0].shape[0]
        if rows > self.args.max_batch_size:
            raise InvalidInput(f"inference request batch-size must be <= {self.args.max_batch_size} for '{self.name}'")
        binary = any(k.lower() == "inference-header-content-length" for k in (headers or {}))
        if self.args.reject_binary and binary:
            raise InvalidInput("binary tensor data is not supported by this server")
        feeds = {tensor.name: tensor.as_numpy() for tensor in payload.inputs}
        (logits,) = self.session.run(["logits"], feeds)
        output = InferOutput(name="logits", shape=list(logits.shape), datatype="FP32")
        # Raw bytes for binary REST answers and gRPC (which asks for binary outputs), a list for JSON answers.
        output.set_data_from_numpy(logits, binary_data=bool(payload.use_binary_outputs))
        return InferResponse(response_id=payload.id, model_name=self.name, infer_outputs=[output], use_binary_outputs=payload.use_binary_outputs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--graph", required=True)
    parser.add_argument("--reject-binary", action="store_true")
    parser.add_argument("--max-batch-size", type=int, default=64)  # export-serving's default
    parser.add_argument("--rename-input", action="append", default=[])
    args, _ = parser.parse_known_args()
    kserve.ModelServer(http_port=args.http_port, grpc_port=args.grpc_port, enable_grpc=True).start([OnnxModel(args.model_name, args.graph, args)])
