#!/usr/bin/env python3
"""A loopback OTLP/HTTP receiver for Weft's tests.

Prints its port on the first line of stdout, then serves until killed. Every request is appended to --log as one
JSON line: method, path, headers, body length, body (uncompressed when Content-Encoding is gzip) as hex, and what
was answered. The answers follow --script, a comma-separated list consumed one per request, the last one repeating:

  200            success (an empty ExportLogsServiceResponse)
  partial:N      success with partial_success.rejected_log_records = N
  503, 502, 504  that status
  429:S          429 with Retry-After: S (seconds)
  400            that status (a refused batch)
  stall:S        wait S seconds, then answer 200
  drop           close the connection without answering

With --tls-cert and --tls-key it serves https instead.
"""
import argparse
import gzip
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--log", required=True)
parser.add_argument("--script", default="200")
parser.add_argument(
    "--decode", action="store_true",
    help="decode each request with opentelemetry-proto and log its records (body, attributes, resource, times)")
parser.add_argument("--tls-cert", help="serve https with this certificate (PEM)")
parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
args = parser.parse_args()
script = args.script.split(",")
lock = threading.Lock()
served = 0


def next_answer():
    global served
    with lock:
        answer = script[min(served, len(script) - 1)]
        served += 1
        return answer


def partial_success(rejected):
    # ExportLogsServiceResponse { partial_success (1) { rejected_log_records (1): varint, error_message (2) } }
    def varint(value):
        out = bytearray()
        while True:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
            if not value:
                return bytes(out)

    message = b"too old"
    inner = b"\x08" + varint(rejected) + b"\x12" + varint(len(message)) + message
    return b"\x0a" + varint(len(inner)) + inner


def decode(body, content_type):
    """The records of an ExportLogsServiceRequest, flattened."""
    from google.protobuf import json_format
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest()
    if content_type == "application/json":
        json_format.Parse(body.decode("utf-8"), request)
    else:
        request.ParseFromString(body)

    def flat(attributes):
        out = {}
        for pair in attributes:
            kind = pair.value.WhichOneof("value")
            out[pair.key] = getattr(pair.value, kind) if kind else None
        return out

    records = []
    for resource_logs in request.resource_logs:
        resource = flat(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                records.append({
                    "body": record.body.string_value,
                    "attributes": flat(record.attributes),
                    "resource": resource,
                    "scope": scope_logs.scope.name,
                    "time_unix_nano": record.time_unix_nano,
                    "severity_number": record.severity_number,
                })
    return records


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        answer = next_answer()
        decoded = body
        if self.headers.get("Content-Encoding") == "gzip":
            decoded = gzip.decompress(body)
        entry = {
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "length": length,
            "body": decoded.hex(),
            "answer": answer,
        }
        if args.decode:
            entry["records"] = decode(decoded, self.headers.get("Content-Type"))
        with lock:
            with open(args.log, "a") as log:
                log.write(json.dumps(entry) + "\n")
        if answer == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        status, extra = 200, b""
        headers = {}
        if answer.startswith("stall:"):
            time.sleep(float(answer.split(":")[1]))
        elif answer.startswith("partial:"):
            extra = partial_success(int(answer.split(":")[1]))
        elif answer.startswith("429:"):
            status = 429
            headers["Retry-After"] = answer.split(":")[1]
        elif answer != "200":
            status = int(answer)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(extra)))
        self.end_headers()
        self.wfile.write(extra)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
if args.tls_cert:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.tls_cert, args.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
