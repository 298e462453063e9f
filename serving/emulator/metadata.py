"""Model status and metadata documents, printed from TF Serving's own protobuf messages."""

from __future__ import annotations

import json

from google.protobuf import json_format
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_pb2

from serving.emulator.servables import Servable

_AVAILABLE = get_model_status_pb2.ModelVersionStatus.State.AVAILABLE


def status_json(versions: list[int]) -> str:
    """GetModelStatusResponse: every version AVAILABLE (the emulator serves only loaded versions)."""
    response = get_model_status_pb2.GetModelStatusResponse()
    for version in versions:
        entry = response.model_version_status.add(version=version, state=_AVAILABLE)
        entry.status.SetInParent()  # error_code OK and an empty error_message, printed explicitly
    return json_format.MessageToJson(response, indent=1, always_print_fields_with_no_presence=True)


def metadata_json(servable: Servable) -> str:
    """GetModelMetadataResponse as TF Serving prints it: model_spec, then the SignatureDefMap."""
    spec = model_pb2.ModelSpec(name=servable.name, signature_name="")
    spec.version.value = servable.version
    signature_map = get_model_metadata_pb2.SignatureDefMap()
    for key, definition in servable.signature_defs.items():
        signature_map.signature_def[key].CopyFrom(definition)
    signatures = json_format.MessageToDict(
        signature_map, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    for definition in signatures["signature_def"].values():
        definition.pop("defaults", None)  # TF Serving 2.20+ no longer returns SignatureDef.defaults
    spec_json = json_format.MessageToJson(
        spec, indent=1, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    # TF Serving concatenates the two parts by hand (http_rest_api_util.cc); so does this.
    signatures_json = json.dumps(signatures, indent=1)
    return '{\n"model_spec":' + spec_json + ',\n"metadata": {"signature_def": ' + signatures_json + "}\n}\n"
