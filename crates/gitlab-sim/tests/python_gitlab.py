#!/usr/bin/env python3
"""python-gitlab against gitlab-sim: the simulator must look like GitLab to
the most used third-party client, not only to Vigil's own.

Usage: python_gitlab.py BASE_URL TOKEN PROJECT_ID MR_IID

Lists projects with keyset pagination (iterator=True, two per page, so the
Link header is followed), creates a project hook, posts a merge request
note and edits it. Exits 0 when every step worked; the Rust test
(tests/it/python_gitlab.rs) then checks the simulator's state.
"""

import sys

import gitlab


def main() -> int:
    base_url, token, project_id, mr_iid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    gl = gitlab.Gitlab(base_url, private_token=token, keep_base_url=True)

    projects = gl.projects.list(
        iterator=True, pagination="keyset", order_by="id", sort="asc", per_page=2
    )
    ids = [project.id for project in projects]
    if project_id not in ids or ids != sorted(ids) or len(ids) < 3:
        print(f"keyset listing went wrong: {ids}", file=sys.stderr)
        return 1

    project = gl.projects.get(project_id, lazy=True)
    # No note events: the hook's URL is not reachable from a test machine.
    project.hooks.create(
        {
            "url": "https://vigil.example/hooks/gitlab/1",
            "token": "s3cret",
            "push_events": True,
            "merge_requests_events": True,
            "note_events": False,
        }
    )

    merge_request = project.mergerequests.get(mr_iid, lazy=True)
    note = merge_request.notes.create({"body": "Vigil: scanning"})
    note.body = "Vigil: no findings"
    note.save()
    if merge_request.notes.get(note.id).body != "Vigil: no findings":
        print("the edited note did not read back", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
