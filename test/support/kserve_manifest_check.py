"""Reads a KServe InferenceService manifest strictly, for test/cli/exportServing.test.ts (run in its venv):
  kserve_manifest_check.py MANIFEST_YAML
      builds the KServe SDK's V1beta1InferenceService from the manifest, field by field: every field must be one that
      the SDK's models (generated from KServe's OpenAPI schema) or the Kubernetes client's models declare for that
      object, its value of the declared type; prints the object, serialized again by the SDK, as JSON.
The SDK's models carry no required fields and no enumerations, so the rules that KServe's CRD and admission webhook
add for what the manifest uses are checked here by name: apiVersion and kind, spec.predictor present, a model format
name, a protocol version KServe knows (the SDK's PredictorProtocol), and a DNS-1035 name.
Exit 1 listing every problem at its path.
"""
import json
import re
import sys

import kserve
import kubernetes.client.models
import yaml
from kserve.constants import constants

# Kubernetes quantities ("2Gi", 1.5) and times, which the schema declares as types of their own.
SCALARS = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
    "object": (object,),
    "datetime": (str,),
    "V1Time": (str,),
    "ResourceQuantity": (str, int, float),
    "V1beta1MetricQuantity": (str, int, float),
}
LIST = re.compile(r"(?:list|List)\[(.*)\]")
MAP = re.compile(r"(?:dict\(str, (.*)\)|Dict\[str, (.*)\])")
DNS_1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def schema(name):
    for module in (kserve.models, kserve, kubernetes.client.models):
        if hasattr(module, name):
            return getattr(module, name)
    raise LookupError(f"neither the KServe SDK nor the Kubernetes client defines {name}")


def read(value, type_name, where, problems):
    """The value as the SDK's object of `type_name`; each mismatch is added to `problems`."""
    if LIST.fullmatch(type_name):
        if not isinstance(value, list):
            problems.append(f"{where}: expected a list ({type_name}), got {value!r}")
            return None
        item = LIST.fullmatch(type_name)[1]
        return [read(v, item, f"{where}[{i}]", problems) for i, v in enumerate(value)]
    if MAP.fullmatch(type_name):
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a map ({type_name}), got {value!r}")
            return None
        item = next(group for group in MAP.fullmatch(type_name).groups() if group)
        return {k: read(v, item, f"{where}.{k}", problems) for k, v in value.items()}
    if type_name in SCALARS:
        # YAML's true is a Python int too: a bool passes only where the schema says bool.
        if not isinstance(value, SCALARS[type_name]) or (isinstance(value, bool) and type_name != "bool" and type_name != "object"):
            problems.append(f"{where}: expected {type_name}, got {value!r}")
        return value
    model = schema(type_name)
    if not isinstance(value, dict):
        problems.append(f"{where}: expected an object ({type_name}), got {value!r}")
        return None
    fields = {json_name: attr for attr, json_name in model.attribute_map.items()}
    arguments = {}
    for key, item in value.items():
        if key not in fields:
            problems.append(f"{where}.{key}: {type_name} has no field '{key}'")
            continue
        arguments[fields[key]] = read(item, model.openapi_types[fields[key]], f"{where}.{key}", problems)
    try:
        return model(**arguments)
    except (TypeError, ValueError) as error:
        problems.append(f"{where}: {error}")
        return None


def at(document, *keys):
    """The value at a path of mapping keys, or None where the path is missing or crosses a non-mapping."""
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


def kserve_rules(document, problems):
    if document.get("apiVersion") != constants.KSERVE_V1BETA1:
        problems.append(f"$.apiVersion: expected {constants.KSERVE_V1BETA1}")
    if document.get("kind") != constants.KSERVE_KIND_INFERENCESERVICE:
        problems.append(f"$.kind: expected {constants.KSERVE_KIND_INFERENCESERVICE}")
    name = at(document, "metadata", "name")
    if not isinstance(name, str) or not DNS_1035.fullmatch(name):
        problems.append(f"$.metadata.name: {name!r} is not a DNS-1035 label, which KServe requires")
    if at(document, "spec", "predictor") is None:
        problems.append("$.spec.predictor: missing (the CRD requires it)")
    elif at(document, "spec", "predictor", "model") is not None and not at(document, "spec", "predictor", "model", "modelFormat", "name"):
        problems.append("$.spec.predictor.model.modelFormat.name: missing (the CRD requires it)")
    protocol = at(document, "spec", "predictor", "model", "protocolVersion")
    protocols = [p.value for p in constants.PredictorProtocol]
    if protocol is not None and protocol not in protocols:
        problems.append(f"$.spec.predictor.model.protocolVersion: {protocol!r} is none of {protocols}")


def main(manifest_path):
    with open(manifest_path, encoding="utf-8") as f:
        document = yaml.safe_load(f)
    problems = []
    if not isinstance(document, dict):
        sys.exit(f"{manifest_path}: not a YAML mapping")
    service = read(document, "V1beta1InferenceService", "$", problems)
    kserve_rules(document, problems)
    if problems:
        sys.exit("\n".join(f"{manifest_path}: {p}" for p in problems))
    print(json.dumps(kserve.ApiClient().sanitize_for_serialization(service)))


if __name__ == "__main__":
    main(*sys.argv[1:])
