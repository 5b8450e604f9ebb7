#!/usr/bin/env python3
"""One role's schemathesis run in a few lines: test cases, phases, and failures grouped by check.
Usage: fuzz_summary.py ROLE REPORT.json RUN.log. Exits 1 when the run failed or could not run."""
import json
import sys

role, report_path, log_path = sys.argv[1:4]
try:
    with open(report_path) as file:
        report = json.load(file)
except (OSError, ValueError):
    print(f"{role}: no report; the end of {log_path}:")
    with open(log_path) as file:
        print("".join(file.readlines()[-15:]))
    sys.exit(1)

cases = report["test_cases"]
operations = report.get("operations") or {}
phases = ", ".join(f"{name} {value['status']}" for name, value in (report.get("phases") or {}).items())
failures = report["failures"]
print(f"{role}: {operations.get('tested', 0)}/{operations.get('selected', 0)} operations, {cases['generated']} test cases, "
      f"{sum(group['count'] for group in failures)} failures, {sum(group['count'] for group in report['errors'])} errors; "
      f"phases: {phases}; {report['running_time']:.0f} s")
for group in failures:
    print(f"  {group['title']} ({group['code']}): {group['count']} in {', '.join(group['operations'][:6])}")
for group in report["errors"]:
    print(f"  error: {group['title']}: {group['count']}")
sys.exit(0 if report["exit_code"] == 0 and not failures else 1)
