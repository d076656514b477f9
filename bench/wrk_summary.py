"""Reads wrk --latency output on stdin; prints requests/s, p99 in ms and the count of non-2xx answers."""
import re
import sys

text = sys.stdin.read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
match = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
p99 = float(match.group(1)) * unit[match.group(2)]
errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
print(f"{rps:.0f} {p99:.2f} {errors.group(1) if errors else 0}")
