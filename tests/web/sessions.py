"""A console session for a test client: the same sign-in form a browser posts."""

from __future__ import annotations

from fastapi.testclient import TestClient

# The password the web tests give the staff accounts they make.
PASSWORD = "correct horse battery"


def as_user(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """``client`` signed in as ``username`` (and no one else: earlier cookies are dropped)."""
    client.cookies.clear()
    response = client.post(
        "/web/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303
    return client
