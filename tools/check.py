"""`make check`: the code scanned by bandit and the pinned dependencies by
pip-audit. Fails on a medium- or high-severity bandit finding (each one we
reviewed carries a ``# nosec <test> -- why`` on its line) or on any known
vulnerability in a pinned dependency.

pip-audit asks a vulnerability service on the network (PyPI's per-release
JSON, or OSV). Where neither answers, it can audit nothing; this check then
says so in as many words and lists what was not audited, instead of printing
"No known vulnerabilities found". ``--require-audit`` turns that into a
failure (for machines that do reach a service).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Our own code; tests and benchmarks run nothing that users send.
SCANNED = ["hcsmca", "chats", "summaries", "tools"]


def run_bandit() -> bool:
    print(f"[check] bandit -r {' '.join(SCANNED)} (failing on medium and high severity)", flush=True)
    summary = subprocess.run(
        [str(BIN / "bandit"), "-q", "-r", *SCANNED, "-f", "json"], cwd=ROOT, capture_output=True, text=True)
    report = json.loads(summary.stdout)
    by_severity: dict[str, int] = {}
    for finding in report["results"]:
        by_severity[finding["issue_severity"]] = by_severity.get(finding["issue_severity"], 0) + 1
    print(f"[check] bandit findings by severity: {by_severity or 'none'}")
    high = [f for f in report["results"] if f["issue_severity"] in {"MEDIUM", "HIGH"}]
    for finding in high:
        print(f"  {finding['issue_severity']} {finding['test_id']} {finding['filename']}:{finding['line_number']}: "
              f"{finding['issue_text']}")
    if report.get("errors"):
        print(f"[check] bandit could not read: {report['errors']}")
        return False
    return not high


def run_pip_audit(require_audit: bool) -> bool:
    print("[check] pip-audit of constraints.txt (every pinned package, exact versions)", flush=True)
    result = subprocess.run(
        [str(BIN / "pip-audit"), "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json",
         "-r", "constraints.txt"], cwd=ROOT, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout + result.stderr)
        print("[check] pip-audit failed to run")
        return False
    audited = [d for d in report["dependencies"] if "skip_reason" not in d]
    skipped = [d for d in report["dependencies"] if "skip_reason" in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            print(f"  VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    print(f"[check] pip-audit: {len(audited)} packages audited, {len(vulnerable)} vulnerable, "
          f"{len(skipped)} not audited")
    if skipped:
        print("[check] NOT AUDITED (the vulnerability service did not answer for them): "
              + ", ".join(d["name"] for d in skipped))
        if not audited:
            print("[check] WARNING: no vulnerability data could be fetched from this machine "
                  "(pypi.org's per-release JSON and OSV unreachable); the dependencies were NOT audited.")
    if vulnerable:
        return False
    return not (require_audit and skipped)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--require-audit", action="store_true",
                        help="fail when pip-audit could not audit every pinned package")
    args = parser.parse_args(argv)
    bandit_ok = run_bandit()
    audit_ok = run_pip_audit(args.require_audit)
    print(f"[check] bandit {'ok' if bandit_ok else 'FAILED'}, pip-audit {'ok' if audit_ok else 'FAILED'}")
    return 0 if bandit_ok and audit_ok else 1


if __name__ == "__main__":
    sys.exit(main())
