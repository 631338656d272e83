#!/usr/bin/env python3
"""Seeds a running Wilkan with one user of each role and a trajectory, and prints
`ROLE TOKEN` lines for the schemathesis pass of .ci/run (admin token passed as argv[2])."""
import json
import sys
import urllib.request

BASE = sys.argv[1].rstrip("/") + "/api/v1"
ADMIN_EMAIL, PASSWORD = "beheer@fuzz.test", "fuzz-password-123"


def call(method, path, body=None, token=None):
    req = urllib.request.Request(BASE + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        return json.loads(res.read() or b"null")


def login(email):
    return call("POST", "/auth/login", {"email": email, "password": PASSWORD})["access_token"]


admin = login(ADMIN_EMAIL)
org = call("POST", "/organizations", {"name": "Fuzz Werkbedrijf"}, admin)["id"]
users = {}
for role, email in [("project_leader", "pl@fuzz.test"), ("coach", "coach@fuzz.test"), ("employee", "emp@fuzz.test"), ("researcher", "res@fuzz.test")]:
    body = {"email": email, "first_name": role, "role": role, "password": PASSWORD}
    if role != "researcher":
        body["organization_id"] = org
    users[role] = call("POST", "/users", body, admin)["id"]
tokens = {role: login(email) for role, email in [("project_leader", "pl@fuzz.test"), ("coach", "coach@fuzz.test"), ("employee", "emp@fuzz.test"), ("researcher", "res@fuzz.test")]}
tokens["admin"] = admin
cohort = call("POST", f"/organizations/{org}/cohorts", {"name": "Ronde 1"}, tokens["project_leader"])["id"]
inclusion = {k: True for k in ["absent_over_4_weeks", "frequent_absence", "expected_absence_over_2_months", "expected_return_within_2_to_12_months",
                                "return_within_24_months_of_sick_report", "device_at_home", "reading_and_digital_skills_sufficient", "paper_route_chosen"]}
t = call("POST", "/trajectories", {"employee_id": users["employee"], "cohort_id": cohort, "inclusion": inclusion}, tokens["coach"])["id"]
call("POST", f"/trajectories/{t}/consents", {"kind": "method", "given": True}, tokens["employee"])
call("PATCH", f"/trajectories/{t}", {"status": "active"}, tokens["coach"])
for role, token in tokens.items():
    print(role, token)
