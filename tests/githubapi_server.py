"""A local stand-in for a GitHub server, speaking the real protocols on one port.

Laid out like GitHub Enterprise Server: the REST API under ``/api/v3``, release asset uploads
under ``/api/uploads``, and Git's smart HTTP protocol at ``/OWNER/NAME.git`` served by the real
``git http-backend`` over bare repositories. Responses follow the shapes documented for the
REST API (repositories, releases, release assets, pull requests, Pages), so PyGithub is driven
exactly as against github.com, with ``base_url`` pointing here.

Git access needs the token as GitHub takes it (HTTP Basic, any user name, the token as the
password); a wrong or missing token gets 401 with a Basic challenge. The API takes
``Authorization: token|Bearer <token>``; a wrong one gets 401 "Bad credentials".
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from local_server import LocalServer


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Asset:
    meta: dict[str, Any]
    data: bytes
    release_id: int


@dataclass
class Repo:
    full_name: str
    bare: Path
    meta: dict[str, Any]
    pages_branch: str | None = None
    releases: list[dict[str, Any]] = field(default_factory=list)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    pages_builds: int = 0  # POST /pages/builds requests
    dispatches: list[dict[str, Any]] = field(default_factory=list)  # workflow_dispatch bodies


class FakeGitHub:
    """Start with ``with FakeGitHub(tmp_path, token="...") as gh:``."""

    def __init__(self, root: Path, *, token: str) -> None:
        self.root = root
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.assets: dict[int, Asset] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API/git request
        # Answers to give instead of the real one, once each, to API paths matching a regex:
        # (pattern, status, headers) -- a 429 with Retry-After, a 5xx, a rate-limited 403.
        self.faults: list[tuple[str, int, dict[str, str]]] = []
        self._ids = itertools.count(7001)
        self._lock = threading.Lock()
        self._server = LocalServer(_handler_for(self))
        self.url = self._server.url
        self.api_url = f"{self.url}/api/v3"

    def __enter__(self) -> FakeGitHub:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    # --- state -----------------------------------------------------------------------------

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": 1000 + len(login), "node_id": "MDQ6VXNlcjE=",
                "type": "User", "site_admin": False,
                "url": f"{self.api_url}/users/{login}", "html_url": f"{self.url}/{login}",
                "avatar_url": f"{self.url}/avatars/{login}"}

    def add_repo(self, full_name: str, *, default_branch: str = "main",
                 pages_branch: str | None = None, description: str = "") -> Path:
        """A repository with an empty bare Git repository behind it; returns its path."""
        owner, name = full_name.split("/")
        bare = self.root / owner / f"{name}.git"
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "--bare", "-b", default_branch, str(bare)],
                       check=True)
        api = f"{self.api_url}/repos/{full_name}"
        meta = {
            "id": next(self._ids), "node_id": "MDEwOlJlcG9zaXRvcnkx", "name": name,
            "full_name": full_name, "private": False, "owner": self._user(owner),
            "html_url": f"{self.url}/{full_name}", "description": description, "fork": False,
            "url": api, "releases_url": f"{api}/releases{{/id}}",
            "pulls_url": f"{api}/pulls{{/number}}", "git_url": f"git://127.0.0.1/{full_name}.git",
            "clone_url": f"{self.url}/{full_name}.git", "default_branch": default_branch,
            "has_pages": pages_branch is not None, "visibility": "public",
            "created_at": "2024-01-02T03:04:05Z", "updated_at": _now(), "pushed_at": _now(),
        }
        self.repos[full_name] = Repo(full_name, bare, meta, pages_branch)
        return bare

    def add_release(self, full_name: str, tag: str, *, name: str = "", body: str = "",
                    draft: bool = False, prerelease: bool = False,
                    published_at: str | None = "2024-05-01T12:00:00Z") -> dict[str, Any]:
        repo = self.repos[full_name]
        rid = next(self._ids)
        api = f"{self.api_url}/repos/{full_name}/releases/{rid}"
        release = {
            "url": api, "assets_url": f"{api}/assets",
            "upload_url": f"{self.url}/api/uploads/repos/{full_name}/releases/{rid}/assets"
                          "{?name,label}",
            "html_url": f"{self.url}/{full_name}/releases/tag/{quote(tag)}",
            "id": rid, "node_id": "MDc6UmVsZWFzZTE=", "tag_name": tag,
            "target_commitish": repo.meta["default_branch"], "name": name, "draft": draft,
            "prerelease": prerelease, "author": self._user(repo.meta["owner"]["login"]),
            "created_at": published_at or _now(), "published_at": None if draft else published_at,
            "assets": [], "tarball_url": f"{self.api_url}/repos/{full_name}/tarball/{tag}",
            "zipball_url": f"{self.api_url}/repos/{full_name}/zipball/{tag}", "body": body,
        }
        repo.releases.insert(0, release)  # the API lists newest first
        return release

    def event_for(self, full_name: str, tag: str, action: str = "published") -> dict[str, Any]:
        """A ``release`` webhook payload for a release of this server."""
        repo = self.repos[full_name]
        release = next(r for r in repo.releases if r["tag_name"] == tag)
        return {"action": action, "release": release, "repository": repo.meta,
                "sender": repo.meta["owner"]}

    # --- REST API --------------------------------------------------------------------------

    def add_pull(self, full_name: str, number: int, title: str, *, author: str,
                 commits: list[str], labels: tuple[str, ...] = (), merged: bool = True,
                 base: str = "main") -> dict[str, Any]:
        """A pull request that brought ``commits`` (shas) in; merged unless told otherwise."""
        repo = self.repos[full_name]
        api = f"{repo.meta['url']}/pulls/{number}"
        pull = {"url": api, "id": next(self._ids), "number": number, "title": title,
                "state": "closed" if merged else "open", "body": "", "draft": False,
                "html_url": f"{self.url}/{full_name}/pull/{number}", "user": self._user(author),
                "labels": [{"id": i + 1, "name": name, "color": "ededed", "default": False,
                            "description": ""} for i, name in enumerate(labels)],
                "created_at": "2024-04-01T00:00:00Z", "updated_at": "2024-04-02T00:00:00Z",
                "merged_at": "2024-04-02T00:00:00Z" if merged else None, "merged": merged,
                "merge_commit_sha": commits[-1] if commits else None,
                "head": {"label": f"{author}:topic-{number}", "ref": f"topic-{number}",
                         "sha": commits[-1] if commits else None},
                "base": {"label": f"{repo.full_name.split('/')[0]}:{base}", "ref": base},
                "_commits": list(commits)}
        repo.pulls.append(pull)
        return pull

    def _fault(self, path: str) -> tuple[int, Any, dict[str, str]] | None:
        for index, (pattern, status, headers) in enumerate(self.faults):
            if re.search(pattern, path):
                del self.faults[index]
                return status, {"message": "injected failure",
                                "documentation_url": "https://docs.github.com/rest"}, headers
        return None

    def api(self, method: str, path: str, query: dict[str, list[str]], body: bytes,
            headers: Any) -> tuple[int, Any, dict[str, str]]:
        if (fault := self._fault(path)) is not None:
            return fault
        if method == "GET" and path == "/search/issues":
            return self._search(query)
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            return 404, {"message": "Not Found"}, {}
        repo = self.repos.get(f"{match[1]}/{match[2]}")
        if repo is None:
            return 404, {"message": "Not Found",
                         "documentation_url": "https://docs.github.com/rest"}, {}
        rest = match[3] or ""
        with self._lock:
            return self._route(repo, method, rest, query, body, headers)

    def _route(self, repo: Repo, method: str, rest: str, query: dict[str, list[str]],
               body: bytes, headers: Any) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and rest == "":
            return 200, repo.meta, {}
        if method == "GET" and rest == "/pages":
            if repo.pages_branch is None:
                return 404, {"message": "Not Found"}, {}
            owner, name = repo.full_name.split("/")
            return 200, {"url": f"{repo.meta['url']}/pages", "status": "built", "cname": None,
                         "custom_404": False, "html_url": f"https://{owner}.github.io/{name}/",
                         "build_type": "legacy", "public": True, "https_enforced": True,
                         "source": {"branch": repo.pages_branch, "path": "/"}}, {}
        if method == "GET" and rest == "/releases":
            return self._page(repo.releases, query, f"{repo.meta['url']}/releases")
        if method == "GET" and rest.startswith("/releases/tags/"):
            tag = unquote(rest.removeprefix("/releases/tags/"))
            found = [r for r in repo.releases if r["tag_name"] == tag and not r["draft"]]
            return (200, found[0], {}) if found else (404, {"message": "Not Found"}, {})
        if method == "POST" and rest == "/pages/builds":
            if repo.pages_branch is None:
                return 404, {"message": "Not Found"}, {}
            repo.pages_builds += 1
            return 201, {"url": f"{repo.meta['url']}/pages/builds/latest", "status": "queued"}, {}
        if method == "POST" and (m := re.fullmatch(r"/actions/workflows/([^/]+)/dispatches",
                                                   rest)):
            data = json.loads(body or b"{}")
            if not data.get("ref"):
                return 422, {"message": "Required input 'ref' not provided"}, {}
            repo.dispatches.append({"workflow": m[1], **data})
            return 204, None, {}
        if m := re.fullmatch(r"/releases/(\d+)(/assets)?", rest):
            release = next((r for r in repo.releases if r["id"] == int(m[1])), None)
            if release is not None and method == "PATCH" and not m[2]:
                data = json.loads(body or b"{}")
                release.update({k: v for k, v in data.items() if k in ("body", "name")})
                return 200, release, {}
            if release is None or method != "GET":
                return 404, {"message": "Not Found"}, {}
            return 200, (release["assets"] if m[2] else release), {}
        if method == "DELETE" and (m := re.fullmatch(r"/releases/assets/(\d+)", rest)):
            asset = self.assets.pop(int(m[1]), None)
            if asset is None:
                return 404, {"message": "Not Found"}, {}
            for release in repo.releases:
                release["assets"] = [a for a in release["assets"] if a["id"] != int(m[1])]
            return 204, None, {}
        if method == "GET" and (m := re.fullmatch(r"/compare/(.+?)\.\.\.(.+)", rest)):
            return self._compare(repo, unquote(m[1]), unquote(m[2]), query, rest)
        if method == "GET" and (m := re.fullmatch(r"/commits/([0-9a-f]{7,64})/pulls", rest)):
            found = [_public(p) for p in repo.pulls
                     if any(c.startswith(m[1]) for c in p.get("_commits", []))]
            return self._page(found, query, f"{repo.meta['url']}{rest}")
        if method == "GET" and (m := re.fullmatch(r"/commits/([0-9a-f]{7,64})", rest)):
            sha = self._rev(repo, m[1])
            return (200, self._commit(repo, sha), {}) if sha else \
                (404, {"message": "No commit found for SHA"}, {})
        if method == "GET" and (m := re.fullmatch(r"/pulls/(\d+)", rest)):
            pull = next((p for p in repo.pulls if p["number"] == int(m[1])), None)
            return (200, _public(pull), {}) if pull else (404, {"message": "Not Found"}, {})
        if method == "GET" and rest == "/tags":
            out = self._git_out(repo, "for-each-ref", "--format=%(refname:short) %(objectname)",
                                "refs/tags")
            tags = [{"name": line.split()[0], "commit": {"sha": line.split()[1]}}
                    for line in out.splitlines() if line]
            return self._page(tags, query, f"{repo.meta['url']}/tags")
        if rest == "/pulls" and method == "GET":
            state = query.get("state", ["open"])[0]
            found = [p for p in repo.pulls
                     if (state == "all" or p["state"] == state)
                     and ("head" not in query or p["head"]["label"] == query["head"][0])
                     and ("base" not in query or p["base"]["ref"] == query["base"][0])]
            return 200, found, {}
        if rest == "/pulls" and method == "POST":
            return self._create_pull(repo, json.loads(body or b"{}"))
        return 404, {"message": "Not Found"}, {}

    def _page(self, items: list[Any], query: dict[str, list[str]], url: str
              ) -> tuple[int, Any, dict[str, str]]:
        per_page = min(100, int(query.get("per_page", ["30"])[0]))
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        links = []
        if page < last:
            links.append(f'<{url}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{url}?per_page={per_page}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{url}?per_page={per_page}&page=1>; rel="first"')
            links.append(f'<{url}?per_page={per_page}&page={page - 1}>; rel="prev"')
        chunk = items[(page - 1) * per_page: page * per_page]
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})

    def _git_out(self, repo: Repo, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", str(repo.bare), *args], capture_output=True,
                              text=True).stdout

    def _rev(self, repo: Repo, name: str) -> str | None:
        out = self._git_out(repo, "rev-parse", "--verify", "-q", f"{name}^{{commit}}")
        return out.strip() or None

    def _commit(self, repo: Repo, sha: str) -> dict[str, Any]:
        fields = self._git_out(repo, "show", "-s", "--format=%P%x1f%an%x1f%ae%x1f%aI%x1f%B",
                               sha).split("\x1f")
        parents, name, email, date, message = fields
        login = re.match(r"^(?:\d+\+)?([^@]+)@users\.noreply\.github\.com$", email)
        return {"sha": sha, "url": f"{repo.meta['url']}/commits/{sha}",
                "html_url": f"{self.url}/{repo.full_name}/commit/{sha}",
                "commit": {"message": message.strip(),
                           "author": {"name": name, "email": email, "date": date},
                           "committer": {"name": name, "email": email, "date": date}},
                "author": self._user(login[1]) if login else None,
                "parents": [{"sha": p} for p in parents.split()]}

    def _compare(self, repo: Repo, base: str, head: str, query: dict[str, list[str]],
                 rest: str) -> tuple[int, Any, dict[str, str]]:
        """GET /compare/BASE...HEAD: commits oldest first, paginated (per_page, page)."""
        base_sha, head_sha = self._rev(repo, base), self._rev(repo, head)
        if base_sha is None or head_sha is None:
            return 404, {"message": "Not Found"}, {}
        shas = self._git_out(repo, "rev-list", "--reverse", f"{base_sha}..{head_sha}").split()
        files = []
        for line in self._git_out(repo, "diff", "--numstat", base_sha, head_sha).splitlines():
            added, deleted, name = line.split("\t", 2)
            files.append({"filename": name, "status": "modified",
                          "additions": int(added) if added.isdigit() else 0,
                          "deletions": int(deleted) if deleted.isdigit() else 0})
        status, page, links = self._page(shas, query, f"{repo.meta['url']}{rest}")
        return status, {"url": f"{repo.meta['url']}{rest}", "status": "ahead",
                        "ahead_by": len(shas), "behind_by": 0, "total_commits": len(shas),
                        "commits": [self._commit(repo, sha) for sha in page],
                        "files": files}, links

    def _search(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        """GET /search/issues for "repo:O/N is:pr is:merged author:LOGIN", oldest first."""
        terms = dict(t.split(":", 1) for t in query.get("q", [""])[0].split() if ":" in t)
        repo = self.repos.get(terms.get("repo", ""))
        found = sorted((p for p in (repo.pulls if repo else [])
                        if p["user"]["login"].lower() == terms.get("author", "").lower()
                        and (terms.get("is") != "merged" or p.get("merged"))),
                       key=lambda p: p["number"])
        items = [{**_public(p), "pull_request": {"url": p["url"]}} for p in found]
        return 200, {"total_count": len(items), "incomplete_results": False,
                     "items": items}, {}

    def _branch_sha(self, repo: Repo, branch: str) -> str | None:
        proc = subprocess.run(["git", "--git-dir", str(repo.bare), "rev-parse", "--verify", "-q",
                               f"refs/heads/{branch}"], capture_output=True, text=True)
        return proc.stdout.strip() or None

    def _create_pull(self, repo: Repo, data: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        owner = repo.full_name.split("/")[0]
        head = str(data.get("head", "")).split(":")[-1]
        base = str(data.get("base", ""))
        head_sha, base_sha = self._branch_sha(repo, head), self._branch_sha(repo, base)
        invalid = [f for f, sha in (("head", head_sha), ("base", base_sha)) if sha is None]
        if invalid or not data.get("title"):
            errors = [{"resource": "PullRequest", "field": f, "code": "invalid"} for f in invalid]
            if not data.get("title"):
                errors.append({"resource": "PullRequest", "field": "title",
                               "code": "missing_field"})
            return 422, {"message": "Validation Failed", "errors": errors,
                         "documentation_url": "https://docs.github.com/rest/pulls/pulls"}, {}
        if any(p["head"]["ref"] == head and p["base"]["ref"] == base and p["state"] == "open"
               for p in repo.pulls):
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"A pull request already exists for {owner}:{head}."}]}, {}
        number = len(repo.pulls) + 1
        api = f"{repo.meta['url']}/pulls/{number}"

        def ref(name: str, sha: str | None) -> dict[str, Any]:
            return {"label": f"{owner}:{name}", "ref": name, "sha": sha,
                    "user": repo.meta["owner"], "repo": repo.meta}

        pull = {"url": api, "id": next(self._ids), "node_id": "MDExOlB1bGxSZXF1ZXN0MQ==",
                "html_url": f"{self.url}/{repo.full_name}/pull/{number}",
                "diff_url": f"{self.url}/{repo.full_name}/pull/{number}.diff",
                "issue_url": f"{repo.meta['url']}/issues/{number}", "number": number,
                "state": "open", "locked": False, "title": data["title"],
                "body": data.get("body"), "user": repo.meta["owner"], "draft": False,
                "created_at": _now(), "updated_at": _now(), "merged": False,
                "head": ref(head, head_sha), "base": ref(base, base_sha)}
        repo.pulls.append(pull)
        return 201, pull, {"Location": api}

    def upload(self, path: str, query: dict[str, list[str]], body: bytes,
               content_type: str) -> tuple[int, Any, dict[str, str]]:
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/releases/(\d+)/assets", path)
        repo = self.repos.get(match[1]) if match else None
        release = next((r for r in repo.releases if r["id"] == int(match[2])), None) \
            if repo and match else None
        if release is None:
            return 404, {"message": "Not Found"}, {}
        name = query.get("name", [""])[0]
        if not name:
            return 422, {"message": "Validation Failed",
                         "errors": [{"resource": "ReleaseAsset", "field": "name",
                                     "code": "missing_field"}]}, {}
        with self._lock:
            if any(a["name"] == name for a in release["assets"]):
                return 422, {"message": "Validation Failed",
                             "errors": [{"resource": "ReleaseAsset", "code": "already_exists",
                                         "field": "name"}]}, {}
            aid = next(self._ids)
            meta = {
                "url": f"{repo.meta['url']}/releases/assets/{aid}",
                "browser_download_url":
                    f"{self.url}/{repo.full_name}/releases/download/{release['tag_name']}/{name}",
                "id": aid, "node_id": "MDEyOlJlbGVhc2VBc3NldDE=", "name": name,
                "label": query.get("label", [""])[0] or None, "state": "uploaded",
                "content_type": content_type, "size": len(body), "download_count": 0,
                "created_at": _now(), "updated_at": _now(),
                "uploader": repo.meta["owner"],
            }
            self.assets[aid] = Asset(meta, body, release["id"])
            release["assets"].append(meta)
        return 201, meta, {}

    def download(self, path: str) -> bytes | None:
        match = re.fullmatch(r"/([^/]+/[^/]+)/releases/download/([^/]+)/([^/]+)", path)
        if not match:
            return None
        for asset in self.assets.values():
            if asset.meta["browser_download_url"].endswith(path):
                return asset.data
        return None

    def auth_ok(self, header: str | None, *, git: bool) -> bool | None:
        """True: the token; False: wrong credentials; None: none given."""
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if git:
            if scheme.lower() != "basic":
                return False
            try:
                _, _, password = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return password == self.token
        return scheme.lower() in ("token", "bearer") and value == self.token


def _public(pull: dict[str, Any]) -> dict[str, Any]:
    """A pull request as the API shows it (without this server's bookkeeping)."""
    return {k: v for k, v in pull.items() if not k.startswith("_")}


def _handler_for(github: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
            payload = b"" if data is None else json.dumps(data).encode()
            self._send(status, payload, {"Content-Type": "application/json; charset=utf-8",
                                         "X-GitHub-Media-Type": "github.v3",
                                         **(headers or {})})

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path) if "/releases/tags/" not in parts.path else parts.path
            query = parse_qs(parts.query)
            body = self._body()
            github.requests.append((self.command, parts.path))
            if re.fullmatch(r"/[^/]+/[^/]+\.git/.*", path):
                return self._git(path, parts.query, body)
            if (data := github.download(path)) is not None and self.command == "GET":
                return self._send(200, data, {"Content-Type": "application/octet-stream"})
            api = path.startswith("/api/v3/")
            upload = path.startswith("/api/uploads/")
            if not (api or upload):
                return self._json(404, {"message": "Not Found"})
            ok = github.auth_ok(self.headers.get("Authorization"), git=False)
            if ok is False:
                return self._json(401, {"message": "Bad credentials",
                                        "documentation_url": "https://docs.github.com/rest"})
            if ok is None and self.command != "GET":
                return self._json(401, {"message": "Requires authentication"})
            if upload:
                status, data, headers = github.upload(
                    path.removeprefix("/api/uploads"), query, body,
                    self.headers.get("Content-Type", "application/octet-stream"))
            else:
                status, data, headers = github.api(self.command, path.removeprefix("/api/v3"),
                                                   query, body, self.headers)
            return self._json(status, data, headers)

        def _git(self, path: str, query: str, body: bytes) -> None:
            if github.auth_ok(self.headers.get("Authorization"), git=True) is not True:
                return self._send(401, b"Invalid username or token.\n",
                                  {"WWW-Authenticate": 'Basic realm="GitHub"',
                                   "Content-Type": "text/plain"})
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(github.root), "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)), "REMOTE_USER": "x-access-token",
                "REMOTE_ADDR": "127.0.0.1", "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            }
            proc = subprocess.run(["git", "http-backend"], input=body, env=env,
                                  capture_output=True, check=False)
            head, _, payload = proc.stdout.partition(b"\r\n\r\n")
            status, headers = 200, {}
            for line in head.decode("latin-1").split("\r\n"):
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key:
                    headers[key] = value.strip()
            self._send(status, payload, headers)

        do_GET = do_POST = do_DELETE = do_PATCH = _handle

    return Handler
