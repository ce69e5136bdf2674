/**
 * The venv of the serving tests' Python references: the KServe SDK (its manifest schema, its ModelServer), Triton's
 * model config proto, onnx to read graphs and onnxruntime to run them behind a KServe stand-in for Triton.
 */
import * as path from 'node:path';
import type { PeerVenv } from '../../bench/peerVenv';
import { ROOT } from './fixtures';

export const SERVING_VENV: PeerVenv = {
  dir: path.join(ROOT, 'build', 'serving-validators', 'venv'),
  // Not tritonclient.grpc beside kserve: both register the v2 protocol's protos, so each checker imports one.
  module: 'onnx, onnxruntime, kserve, tritonclient',
  requirements: ['kserve==0.21.0', 'tritonclient[grpc]==2.73.0', 'onnx==1.23.2', 'onnxruntime==1.31.1'],
  name: 'the KServe SDK 0.21.0, tritonclient 2.73.0, onnx 1.23.2 and onnxruntime 1.31.1',
};

/**
 * The venv of a real Triton Inference Server: the nvidia-pytriton wheel ships the tritonserver binary with its Python
 * backend (not its ONNX Runtime backend, so onnxruntime runs the graph in a Python-backend model instead). Made with
 * Debian's python3.11, which the backend's stub links against. numpy stays below 2, as pytriton 0.7 requires.
 */
export const TRITON_VENV: PeerVenv = {
  dir: path.join(ROOT, 'build', 'triton-server', 'venv'),
  module: 'pytriton, onnxruntime',
  requirements: ['nvidia-pytriton==0.7.0', 'onnxruntime==1.31.1', 'numpy==1.26.4'],
  name: 'Triton Inference Server 2.51 (nvidia-pytriton 0.7.0) with onnxruntime 1.31.1',
  python: '/usr/bin/python3.11',
};
