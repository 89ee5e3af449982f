#!/usr/bin/env python3
"""Decodes a Weft OTLP payload with the official definitions (PyPI: opentelemetry-proto) and prints it as JSON.

    decode_otlp.py protobuf|json PAYLOAD [--gzip]

Prints one JSON object: {"resource_logs": N, "canonical": bool, "records": [...]}, each record flattened in the shape
of Weft's JSON lines (timestamps as RFC 3339 with nine digits, attributes as a JSON object of typed values) plus the
resource, scope and severity. "canonical" says whether the protobuf library serializes the decoded message back to
exactly the payload's bytes (fields in number order, minimal varints). Exit status 1 with a message on stderr when
the payload does not decode or breaks a rule of the data model (a duplicate attribute key, a body that is not a
string).
"""
import datetime
import gzip
import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def rfc3339(nanos):
    if nanos == 0:
        return None
    seconds, fraction = divmod(nanos, 1_000_000_000)
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % fraction


def value(any_value, where):
    kind = any_value.WhichOneof("value")
    if kind == "string_value":
        return any_value.string_value
    if kind == "bool_value":
        return any_value.bool_value
    if kind == "int_value":
        return any_value.int_value
    fail(f"{where}: unexpected AnyValue kind {kind}")


def attributes(key_values, where):
    out = {}
    for key_value in key_values:
        if key_value.key in out:
            fail(f"{where}: duplicate attribute {key_value.key}")
        out[key_value.key] = value(key_value.value, f"{where}.{key_value.key}")
    return out


def main():
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as payload_file:
        payload = payload_file.read()
    if "--gzip" in sys.argv[3:]:
        payload = gzip.decompress(payload)
    request = ExportLogsServiceRequest()
    if kind == "protobuf":
        request.ParseFromString(payload)
        canonical = request.SerializeToString(deterministic=True) == payload
    elif kind == "json":
        json_format.Parse(payload.decode("utf-8"), request)
        canonical = True
    else:
        fail(f"unknown kind {kind}")
    records = []
    for resource_logs in request.resource_logs:
        resource = attributes(resource_logs.resource.attributes, "resource")
        if len(resource_logs.scope_logs) != 1:
            fail(f"{len(resource_logs.scope_logs)} ScopeLogs in one ResourceLogs")
        for scope_logs in resource_logs.scope_logs:
            scope = {"name": scope_logs.scope.name, "version": scope_logs.scope.version}
            for record in scope_logs.log_records:
                if record.body.WhichOneof("value") != "string_value":
                    fail("a body that is not a string")
                records.append({
                    "timestamp": rfc3339(record.time_unix_nano),
                    "observed_timestamp": rfc3339(record.observed_time_unix_nano),
                    "severity_number": record.severity_number,
                    "severity_text": record.severity_text,
                    "body": record.body.string_value,
                    "attributes": attributes(record.attributes, "attributes"),
                    "resource": resource,
                    "scope": scope,
                })
    json.dump({"resource_logs": len(request.resource_logs), "canonical": canonical, "records": records},
              sys.stdout, ensure_ascii=False)


main()
