"""CI wrappers: turn a CI event (GitHub Actions, GitLab CI) into a `mindee-scan git` run and its reports.

`changes` decides what an event asks to scan, `run` runs the scan in-process and writes the log;
`github` and `gitlab` read their platform's variables. The action and the template stay thin.
"""
