"""Schemathesis hooks for the contract test (e2e/contract.test.mjs): a real login as the account the test registered.

The fuzzer may end that account's sessions (or change its password to one it made up), so the token is fetched again
every few seconds, and a fresh account is registered when the old one no longer logs in.
"""

import itertools
import os

import requests
import schemathesis

BASE = os.environ["PLANNER_BASE_URL"]
PASSWORD = "correct horse battery staple"
_accounts = itertools.count()


def _login(username: str) -> str | None:
    response = requests.post(f"{BASE}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10)
    return response.json()["access_token"] if response.status_code == 200 else None


@schemathesis.auth(refresh_interval=5)
class PlannerLogin:
    username = os.environ["PLANNER_USERNAME"]

    def get(self, case, ctx):
        token = _login(self.username)
        if token is None:
            # The account is gone or its password was changed: carry on as a new one.
            PlannerLogin.username = f"{os.environ['PLANNER_USERNAME']}{next(_accounts)}"
            requests.post(
                f"{BASE}/api/v1/auth/register",
                json={"username": self.username, "email": f"{self.username}@example.com", "password": PASSWORD},
                timeout=10,
            ).raise_for_status()
            token = _login(self.username)
        return token

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
