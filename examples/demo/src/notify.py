import os

SLACK_WEBHOOK = "https://hooks.slack.com/services/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"
GITLAB_TOKEN = os.environ["GITLAB_TOKEN"]  # read at run time: fine
password = "<your-password-here>"  # a placeholder: not reported
legacy = "ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU"  # vigil:ignore (accepted, being rotated)
