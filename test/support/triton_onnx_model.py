"""A Triton Python-backend model that runs its version folder's model.onnx with onnxruntime on the CPU.

It stands in for Triton's ONNX Runtime backend, which the nvidia-pytriton wheel lacks, so that the tests serve the
repository `bioner export-serving` wrote with a real tritonserver: the config's inputs in, its `logits` out.
"""
import json
import os

import onnxruntime
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.inputs = [tensor["name"] for tensor in config["input"]]
        graph = os.path.join(args["model_repository"], args["model_version"], "model.onnx")
        options = onnxruntime.SessionOptions()
        # One thread per instance: Triton's instance_group says how many run in parallel.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def execute(self, requests):
        # The dynamic batcher hands over every request it gathered; each is answered on its own, as sent.
        return [self.answer(request) for request in requests]

    def answer(self, request):
        feeds = {name: pb_utils.get_input_tensor_by_name(request, name).as_numpy() for name in self.inputs}
        try:
            (logits,) = self.session.run(["logits"], feeds)
        except Exception as error:  # onnxruntime refused these tensors: this request fails, not the batch
            return pb_utils.InferenceResponse(error=pb_utils.TritonError(str(error)))
        return pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("logits", logits)])

    def finalize(self):
        self.session = None
