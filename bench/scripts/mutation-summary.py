#!/usr/bin/env python3
"""Summarises a Stryker.NET mutation-report.json: the score per file, then every mutant that was not killed.

    python3 bench/scripts/mutation-summary.py bench/results/mutation/<run>/reports/mutation-report.json

Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker computes it; compile errors and
ignored mutants do not count. "Covered" is the score over covered mutants only (survived, not "no coverage").
"""
import json
import os
import sys

DETECTED = {"Killed", "Timeout"}
UNDETECTED = {"Survived", "NoCoverage"}


def main(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    rows = []
    left = []
    totals = {"det": 0, "surv": 0, "nocov": 0, "other": 0}
    for file_path, file in sorted(report["files"].items()):
        lines = file["source"].splitlines()
        det = surv = nocov = other = 0
        for m in file["mutants"]:
            s = m["status"]
            if s in DETECTED:
                det += 1
            elif s == "Survived":
                surv += 1
            elif s == "NoCoverage":
                nocov += 1
            else:
                other += 1
            if s in UNDETECTED:
                line = m["location"]["start"]["line"]
                code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
                left.append((short(file_path), line, s, m.get("mutatorName", ""), m.get("replacement", ""), code))
        if det + surv + nocov == 0:
            continue  # outside the mutated files (Stryker lists every file of the project)
        for k, v in (("det", det), ("surv", surv), ("nocov", nocov), ("other", other)):
            totals[k] += v
        rows.append((short(file_path), det, surv, nocov, other))

    print("| File | Killed | Survived | No coverage | Score | Covered |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, det, surv, nocov, other in rows:
        print(f"| {name} | {det} | {surv} | {nocov} | {score(det, surv + nocov)} | {score(det, surv)} |")
    t = totals
    print(f"| **all** | {t['det']} | {t['surv']} | {t['nocov']} | **{score(t['det'], t['surv'] + t['nocov'])}** "
          f"| {score(t['det'], t['surv'])} |")
    print()
    print(f"{len(left)} mutants not killed:")
    print()
    for name, line, status, mutator, replacement, code in sorted(left):
        print(f"- {name}:{line} {status} [{mutator}] `{replacement.strip()[:100]}` in `{code[:120]}`")


def short(path: str) -> str:
    marker = os.sep + "Loadstone" + os.sep
    return path.split(marker, 1)[1] if marker in path else path


def score(detected: int, undetected: int) -> str:
    total = detected + undetected
    return "n/a" if total == 0 else f"{100.0 * detected / total:.1f} %"


if __name__ == "__main__":
    main(sys.argv[1])
