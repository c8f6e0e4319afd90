# Copied unchanged from shared/testing/otlp_sink.py (the team's test tooling).
# Tiny real OTLP/gRPC trace receiver: appends every received span as one JSON line to OUT (default spans.jsonl).
# usage: python otlp_sink.py [127.0.0.1:4317] [spans.jsonl]
import sys, json, signal
from concurrent import futures
import grpc
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as pb, trace_service_pb2_grpc as pbg

ADDR = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:4317"
OUT = sys.argv[2] if len(sys.argv) > 2 else "spans.jsonl"

class Sink(pbg.TraceServiceServicer):
    def Export(self, request, context):
        with open(OUT, "a") as f:
            for rs in request.resource_spans:
                res = {a.key: MessageToDict(a.value) for a in rs.resource.attributes}
                for ss in rs.scope_spans:
                    for sp in ss.spans:
                        d = MessageToDict(sp)   # traceId/spanId are base64 in proto3 JSON; add hex for convenience
                        d["traceIdHex"], d["spanIdHex"], d["parentSpanIdHex"] = sp.trace_id.hex(), sp.span_id.hex(), sp.parent_span_id.hex()
                        d["resource"], d["scope"] = res, ss.scope.name
                        f.write(json.dumps(d) + "\n")
        return pb.ExportTraceServiceResponse()

server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
pbg.add_TraceServiceServicer_to_server(Sink(), server)
server.add_insecure_port(ADDR); server.start(); print(f"OTLP/gRPC sink on {ADDR} -> {OUT}", flush=True)
signal.signal(signal.SIGTERM, lambda *a: server.stop(0))
server.wait_for_termination()
