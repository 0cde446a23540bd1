"""The deployment files, checked offline: what a cluster or Docker would refuse, and what matters.

Real tools on the real files: `kubectl kustomize` renders both overlays, `kubernetes-validate
--strict` checks the result against the bundled schemas of Kubernetes releases, `hadolint` lints
both Dockerfiles and `check-jsonschema` checks deploy/compose.yaml against the vendored
compose-spec schema. Then the properties the runbook relies on are asserted on the rendered
objects. Each tool is also shown a broken file, so a check that cannot fail would be noticed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from nlu.training_data import available_locales

DEPLOY = PROJECT_ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = ("dev", "prod")
#: The oldest release still widely offered by managed services, and the newest that
#: kubernetes-validate bundles schemas for (it bundles 1.30 to 1.37 and works offline).
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")
LOCALES = available_locales(PROJECT_ROOT / "nlu" / "training")

#: Measured resident memory (deploy/README.md, "Capacity"): the bot process with every locale's
#: models after 3,360 messages (benchmarks/runtime_memory.py), and the largest Rasa server.
BOT_RSS_MB = 304
RASA_RSS_MB = 825

Doc = dict[str, Any]


def tool(name: str) -> str:
    """A tool installed beside this Python (the project's venv) or on PATH; else skip."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]' provides it)")
    return found


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, input=stdin, capture_output=True, text=True, timeout=300, check=False
    )


@functools.cache
def rendered_text(overlay: str) -> str:
    result = run(tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay))
    assert result.returncode == 0, result.stderr
    return result.stdout


def rendered(overlay: str) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(rendered_text(overlay)) if doc]


def named(docs: list[Doc], kind: str, name: str) -> Doc:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def pod_templates(docs: list[Doc]) -> Iterator[tuple[str, Doc]]:
    """Every pod template: of Deployments, Jobs and CronJobs, by the object's name."""
    for doc in docs:
        spec = doc["spec"] if doc["kind"] in ("Deployment", "Job", "CronJob") else None
        if spec is None:
            continue
        if doc["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        yield doc["metadata"]["name"], spec["template"]


def component(template: Doc) -> str:
    return str(template["metadata"]["labels"]["app.kubernetes.io/component"])


def mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1.0, "Gi": 1024.0, "K": 1e3 / 2**20, "M": 1e6 / 2**20}
    units["G"] = 1e9 / 2**20
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?)?", quantity)
    assert match, quantity
    return float(match[1]) * units.get(match[2] or "", 1 / 2**20)


# -- the tools, on our files ----------------------------------------------------------------


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_renders_and_is_valid_kubernetes(
    overlay: str, version: str, tmp_path: Path
) -> None:
    manifest = tmp_path / f"{overlay}.yaml"
    manifest.write_text(rendered_text(overlay))
    result = run(tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, str(manifest))
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {doc["kind"] for doc in rendered(overlay)}
    assert {"Deployment", "Job", "CronJob", "NetworkPolicy", "Ingress"} <= kinds


def test_the_secret_example_is_valid_kubernetes() -> None:
    result = run(
        tool("kubernetes-validate"),
        "--strict",
        "--quiet",
        "-k",
        KUBERNETES_VERSIONS[-1],
        str(K8S / "secret.example.yaml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_refuses_an_unknown_field(tmp_path: Path) -> None:
    docs = rendered("prod")
    bot = named(docs, "Deployment", "safebot-bot")
    bot["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"path": "/readyz"}
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(bot))
    result = run(
        tool("kubernetes-validate"), "--strict", "-k", KUBERNETES_VERSIONS[-1], str(broken)
    )
    assert result.returncode != 0
    assert "readinesProbe" in result.stdout + result.stderr


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "Dockerfile.rasa"])
def test_hadolint_passes_on_the_dockerfiles(dockerfile: str) -> None:
    result = run(tool("hadolint"), "--no-color", str(DEPLOY / dockerfile))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_refuses_an_unpinned_base_image(tmp_path: Path) -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    broken = tmp_path / "Dockerfile"
    broken.write_text(text.replace("python:3.11.14-slim-bookworm", "python:latest"))
    result = run(tool("hadolint"), "--no-color", str(broken))
    assert result.returncode != 0
    assert "DL3007" in result.stdout


def test_compose_file_matches_the_compose_spec() -> None:
    result = run(
        tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(DEPLOY / "compose.yaml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_refuses_an_unknown_dependency_condition(tmp_path: Path) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    broken = tmp_path / "compose.yaml"
    broken.write_text(text.replace("service_completed_successfully", "finished", 1))
    result = run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken))
    assert result.returncode != 0


# -- what the runbook relies on, on the rendered objects -------------------------------------


def test_production_runs_at_least_two_bot_replicas_under_an_autoscaler() -> None:
    docs = rendered("prod")
    hpa = named(docs, "HorizontalPodAutoscaler", "safebot-bot")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "safebot-bot",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    bot = named(docs, "Deployment", "safebot-bot")
    assert bot["spec"].get("replicas", hpa["spec"]["minReplicas"]) >= 2
    assert bot["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pdb = named(docs, "PodDisruptionBudget", "safebot-bot")
    labels = bot["spec"]["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pdb["spec"].get("maxUnavailable") == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_is_non_root_read_only_and_sized(overlay: str) -> None:
    templates = list(pod_templates(rendered(overlay)))
    assert {component(t) for _, t in templates} == {
        "bot",
        "dashboard",
        "rasa",
        "migrate",
        "webhook",
        "purge",
    }
    for name, template in templates:
        pod = template["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] >= 1000, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod.get("initContainers", []) + pod["containers"]:
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), where
            assert {"cpu", "memory"} <= resources["limits"].keys(), where
            assert mebibytes(resources["limits"]["memory"]) >= mebibytes(
                resources["requests"]["memory"]
            ), where
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, f"{where}: /tmp must be an emptyDir"
            image = container["image"]
            assert "/" in image and (":" in image.rsplit("/", 1)[1] or "@" in image), where


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_memory_is_sized_from_the_measurements(overlay: str) -> None:
    docs = rendered(overlay)
    bot = named(docs, "Deployment", "safebot-bot")["spec"]["template"]["spec"]["containers"][0]
    assert mebibytes(bot["resources"]["requests"]["memory"]) >= BOT_RSS_MB * 1.2
    for locale in LOCALES:
        rasa = named(docs, "Deployment", f"safebot-rasa-{locale}")
        container = rasa["spec"]["template"]["spec"]["containers"][0]
        assert mebibytes(container["resources"]["requests"]["memory"]) >= RASA_RSS_MB * 1.2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_bot_probes_use_readyz_and_healthz(overlay: str) -> None:
    bot = named(rendered(overlay), "Deployment", "safebot-bot")
    container = bot["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["safebot", "serve", "--host", "0.0.0.0", "--port", "8080"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_cluster_internal_rasa_per_locale_that_the_bot_is_pointed_at(overlay: str) -> None:
    docs = rendered(overlay)
    config = named(docs, "ConfigMap", "safebot-config")["data"]
    urls = dict(part.split("=", 1) for part in config["SAFEBOT_RASA_URL"].split(";"))
    assert sorted(urls) == sorted(LOCALES)
    for locale in LOCALES:
        name = f"safebot-rasa-{locale}"
        service = named(docs, "Service", name)
        assert service["spec"]["type"] == "ClusterIP"
        assert urls[locale] == f"http://{name}:{service['spec']['ports'][0]['port']}"
        deployment = named(docs, "Deployment", name)
        assert service["spec"]["selector"].items() <= (
            deployment["spec"]["template"]["metadata"]["labels"].items()
        )
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["startupProbe"]["httpGet"] == {"path": "/", "port": "http"}
        assert container["image"].rsplit(":", 1)[0].endswith(f"safebot-rasa-{locale}")
        secrets = {
            e["name"]: e["valueFrom"]["secretKeyRef"]["key"]
            for e in container["env"]
            if "valueFrom" in e
        }
        assert secrets == {"SAFEBOT_RASA_TOKEN": "SAFEBOT_RASA_TOKEN"}
    services = [d for d in docs if d["kind"] == "Service"]
    assert all(s["spec"]["type"] == "ClusterIP" for s in services)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_jobs_migrate_set_the_webhook_and_purge_one_at_a_time(overlay: str) -> None:
    docs = rendered(overlay)
    migrate = named(docs, "Job", "safebot-migrate")["spec"]["template"]["spec"]
    assert migrate["containers"][0]["args"] == ["safebot", "migrate"]
    assert migrate["restartPolicy"] == "Never"
    webhook = named(docs, "Job", "safebot-set-webhook")["spec"]["template"]["spec"]
    assert webhook["containers"][0]["args"] == [
        "safebot",
        "webhook",
        "set",
        "$(SAFEBOT_WEBHOOK_URL)",
    ]
    assert "SAFEBOT_WEBHOOK_URL" in {e["name"] for e in webhook["containers"][0]["env"]}
    purge = named(docs, "CronJob", "safebot-purge")
    assert purge["spec"]["concurrencyPolicy"] == "Forbid"
    container = purge["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["safebot", "purge"]
    config = named(docs, "ConfigMap", "safebot-config")["data"]
    assert config["SAFEBOT_MIGRATE_ON_START"] == "false"
    assert config["SAFEBOT_PURGE_INTERVAL_HOURS"] == "0"
    assert config["SAFEBOT_WEBHOOK_URL"].endswith("/telegram")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_admit_only_the_intended_paths(overlay: str) -> None:
    docs = rendered(overlay)
    policies = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}
    deny = policies["safebot-default-deny"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

    templates = [t for _, t in pod_templates(docs)]

    def selected(selector: Doc) -> set[str]:
        return {
            component(t)
            for t in templates
            if selector.get("matchLabels", {}).items() <= t["metadata"]["labels"].items()
        }

    # Only the bot reaches Rasa: Rasa admits nothing else, and nothing else may leave for it.
    rasa_in = policies["safebot-rasa-from-bot"]
    assert selected(rasa_in["podSelector"]) == {"rasa"}
    sources = [peer for rule in rasa_in["ingress"] for peer in rule["from"]]
    assert [selected(peer["podSelector"]) for peer in sources] == [{"bot"}]
    for name, spec in policies.items():
        for rule in spec.get("egress", []):
            for peer in rule.get("to", []):
                if "podSelector" in peer and "rasa" in selected(peer["podSelector"]):
                    assert selected(spec["podSelector"]) == {"bot"}, name
        if spec.get("ingress") and name != "safebot-rasa-from-bot":
            assert "rasa" not in selected(spec["podSelector"]), name

    # Only bot, dashboard and the jobs that need it reach PostgreSQL, at the overlay's address.
    postgres = policies["safebot-postgres-egress"]
    assert selected(postgres["podSelector"]) == {"bot", "dashboard", "migrate", "purge"}
    (rule,) = postgres["egress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 5432}]
    cidrs = [peer["ipBlock"]["cidr"] for peer in rule["to"]]
    assert cidrs and "192.0.2.10/32" not in cidrs, "the overlay must patch the database range"
    # Egress to the internet (Telegram) for the bot and the set-webhook Job only, on 443.
    telegram = policies["safebot-telegram-egress"]
    assert selected(telegram["podSelector"]) == {"bot", "webhook"}
    assert [p["port"] for r in telegram["egress"] for p in r["ports"]] == [443]
    # Nothing else has a way out but DNS.
    for name, spec in policies.items():
        if name in ("safebot-postgres-egress", "safebot-telegram-egress", "safebot-bot-to-rasa"):
            continue
        for rule in spec.get("egress", []):
            assert {p["port"] for p in rule["ports"]} == {53}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_routes_only_the_webhook_and_the_dashboard(overlay: str) -> None:
    docs = rendered(overlay)
    (ingress,) = [d for d in docs if d["kind"] == "Ingress"]
    routes = {
        (rule["host"], path["path"], path["pathType"]): path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert sorted(routes.values()) == ["safebot-bot", "safebot-dashboard"]
    webhook = [key for key, service in routes.items() if service == "safebot-bot"]
    assert [(path, kind) for _, path, kind in webhook] == [("/telegram", "Exact")]
    config = named(docs, "ConfigMap", "safebot-config")["data"]
    assert config["SAFEBOT_WEBHOOK_URL"] == f"https://{webhook[0][0]}/telegram"
    tls_hosts = {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
    assert {host for host, _, _ in routes} <= tls_hosts


# -- no secret anywhere --------------------------------------------------------------------

#: What real secrets look like: a bot token, a hex key, a long random string.
_SECRET_LIKE = [
    re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}"),
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),
    re.compile(r"[A-Za-z0-9_-]{40,}"),
]


def _looks_secret(value: str) -> bool:
    return any(pattern.search(value) for pattern in _SECRET_LIKE)


def test_the_secret_example_holds_placeholders_only() -> None:
    (secret,) = list(yaml.safe_load_all((K8S / "secret.example.yaml").read_text()))
    assert secret["kind"] == "Secret"
    assert "data" not in secret
    values = secret["stringData"]
    assert set(values) == {
        "TELEGRAM_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "SAFEBOT_PSEUDONYM_KEY",
        "SAFEBOT_RASA_TOKEN",
        "SAFEBOT_DATABASE_URL",
        "SAFEBOT_MIGRATE_DATABASE_URL",
    }
    for key, value in values.items():
        assert "REPLACE_ME" in value, key
        assert not _looks_secret(value), key
    assert _looks_secret("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")  # the check can fail


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_overlay_carries_a_secret(overlay: str) -> None:
    docs = rendered(overlay)
    assert [d["metadata"]["name"] for d in docs if d["kind"] == "Secret"] == []
    referenced = {
        env["valueFrom"]["secretKeyRef"]["name"]
        for _, template in pod_templates(docs)
        for container in template["spec"]["containers"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }
    assert referenced == {"safebot-secrets"}
    for value in named(docs, "ConfigMap", "safebot-config")["data"].values():
        assert not _looks_secret(value)


def test_the_env_example_holds_placeholders_only() -> None:
    names = set()
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        names.add(name)
        assert value == "REPLACE_ME" or "example.org" in value, name
    assert {"POSTGRES_PASSWORD", "TELEGRAM_TOKEN", "SAFEBOT_PSEUDONYM_KEY"} <= names
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    used = set(re.findall(r"\$\{([A-Z_]+)[:}]", (DEPLOY / "compose.yaml").read_text()))
    assert used - {"SAFEBOT_IMAGE", "SAFEBOT_RASA_IMAGE", "SAFEBOT_RASA_URL"} <= names
    assert compose["services"]


# -- compose and the Dockerfiles -------------------------------------------------------------


def test_compose_migrates_first_and_serves_the_webhook() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert "healthcheck" in services["postgres"]
    assert services["migrate"]["command"] == ["safebot", "migrate"]
    for name in ("bot", "dashboard", "purge"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name
    assert services["bot"]["command"] == ["safebot", "serve", "--host", "0.0.0.0", "--port", "8080"]
    for locale in LOCALES:
        rasa = services[f"rasa-{locale}"]
        assert rasa["profiles"] == ["rasa"]
        assert rasa["build"]["args"] == {"LOCALE": locale}
        assert rasa["networks"] == ["nlu"]
    assert compose["networks"]["nlu"]["internal"] is True
    assert compose["networks"]["db"]["internal"] is True
    assert {n for s in services.values() for n in s.get("networks", []) if n == "db"}
    assert [name for name, s in services.items() if "nlu" in s.get("networks", [])] == [
        "bot",
        *(f"rasa-{locale}" for locale in ("en", "ru", "uk", "tr")),
    ]
    assert set(compose["volumes"]) == {"postgres-data", "bot-data"}


def _stages(dockerfile: Path) -> list[list[str]]:
    """The instructions of each stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_the_bot_image_is_built_from_the_lock_with_models_inside() -> None:
    dockerfile = DEPLOY / "Dockerfile"
    build, final = _stages(dockerfile)
    assert re.fullmatch(r"FROM python:3\.11\.\d+-slim-\w+ AS build", build[0])
    assert final[0] == build[0].removesuffix(" AS build")
    build_text = "\n".join(build)
    assert re.search(r"pip install --require-hashes .*-r requirements\.lock", build_text)
    assert "pip install --no-deps" in build_text
    assert "safebot content check" in build_text and "safebot train" in build_text
    final_text = "\n".join(final)
    assert "apt-get" not in final_text and "pip install" not in final_text
    assert "COPY --from=build /opt/venv /opt/venv" in final_text
    (user,) = [line for line in final if line.startswith("USER ")]
    assert re.fullmatch(r"USER [1-9]\d{3,}:[1-9]\d{3,}", user)
    assert final[-1] == 'CMD ["safebot", "serve", "--host", "0.0.0.0", "--port", "8080"]'


def test_the_rasa_image_serves_one_locale_behind_a_token() -> None:
    dockerfile = DEPLOY / "Dockerfile.rasa"
    build, final = _stages(dockerfile)
    assert re.fullmatch(r"FROM python:3\.10\.\d+-slim-\w+ AS build", build[0])
    assert final[0] == build[0].removesuffix(" AS build")
    assert any("rasa==3.6.21" in line for line in build)
    assert "ARG LOCALE=en" in build and "ARG LOCALE=en" in final
    (user,) = [line for line in final if line.startswith("USER ")]
    assert user != "USER root"
    entrypoint = (DEPLOY / "rasa-entrypoint.sh").read_text()
    assert "--enable-api" in entrypoint
    assert '--auth-token "${SAFEBOT_RASA_TOKEN}"' in entrypoint
    assert os.access(DEPLOY / "rasa-entrypoint.sh", os.X_OK)


def test_the_build_context_holds_what_the_dockerfiles_copy_and_nothing_else() -> None:
    rules = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert rules[0] == "**"  # everything is left out unless listed
    included = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    for dockerfile in ("Dockerfile", "Dockerfile.rasa"):
        for stage in _stages(DEPLOY / dockerfile):
            for line in stage:
                if not line.startswith("COPY ") or "--from=" in line:
                    continue
                for source in line.split()[1:-1]:
                    top = source.split("/")[0] if not source.startswith("deploy/") else source
                    assert top.split("*")[0].rstrip("/") in included or top in included, (
                        f"{dockerfile}: {source} is not in the build context"
                    )
    assert not included & {"var", ".venv", ".git", "tests"}


def test_the_runbooks_migrate_first_selector_picks_what_the_migration_needs() -> None:
    # deploy/README.md applies `-l 'app.kubernetes.io/component in (config,migrate,network)'`
    # before everything else and waits for the migration.
    runbook = (DEPLOY / "README.md").read_text()
    selector = "app.kubernetes.io/component in (config,migrate,network)"
    assert runbook.count(selector) == 2
    docs = rendered("prod")
    chosen = {
        (d["kind"], d["metadata"]["name"])
        for d in docs
        if d["metadata"].get("labels", {}).get("app.kubernetes.io/component")
        in ("config", "migrate", "network")
    }
    assert {
        ("ConfigMap", "safebot-config"),
        ("ServiceAccount", "safebot"),
        ("Job", "safebot-migrate"),
        ("NetworkPolicy", "safebot-postgres-egress"),
        ("NetworkPolicy", "safebot-allow-dns"),
    } <= chosen
    assert not {kind for kind, _ in chosen} & {"Deployment", "CronJob", "Ingress"}
    assert ("Job", "safebot-set-webhook") not in chosen
