"""Parses a Prometheus text exposition with prometheus-client's own parser (a real consumer of the
format) and prints each sample as a JSON line: {"name", "labels", "value"}.   prom_parse.py URL"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

text = urllib.request.urlopen(sys.argv[1]).read().decode()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        print(json.dumps({"family": family.name, "type": family.type, "name": sample.name,
                          "labels": sample.labels, "value": sample.value}))
print("parsed: ok")
