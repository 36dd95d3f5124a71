#!/usr/bin/env python3
"""Checks that deploy/, docs/operations.md and the samverkan binary agree.

Usage: check_deploy.py target/debug/samverkan

Kubernetes' own schemas are checked by kubernetes-validate (validate-deploy.sh);
this checks what no schema knows:

- CloudNativePG objects (Cluster, ScheduledBackup), which have no schema in
  kubernetes-validate: their structure, field by field, against what this
  deployment uses of the CRD (a structural check, not the operator's
  OpenAPI schema, which no reachable registry ships);
- every samverkan container runs an existing subcommand with existing flags,
  and every environment variable it gets (from env and from the ConfigMap)
  is one that subcommand reads (helpers used only inside $(…) expansion
  excepted);
- the container port, the probes' port and the Services' ports equal the
  port of SAMVERKAN_LISTEN; the probes name the gRPC service the container
  serves (from proto/); every --*-url (SAMVERKAN_*_URL) names an existing
  Service on that port whose pods serve that service, and the network
  policies admit exactly that edge both ways;
- DATABASE_URL points at the Cluster's -rw Service and database, as the
  owner for migrations and as a managed non-owner role (NOSUPERUSER,
  NOBYPASSRLS) for the services, which is the role migrate grants to;
- every Deployment has requests, limits, probes, a PDB, an HPA and its own
  NetworkPolicy; every referenced Secret and key exists;
- the OpenTelemetry endpoint names the collector's Service and port, the
  collector listens there, and its ConfigMap embeds deploy/otel/collector.yaml;
- the Dockerfile exposes the listen port and its HEALTHCHECK runs an
  existing subcommand;
- docs/operations.md: every `samverkan …` command in its code blocks uses
  existing subcommands and flags; its configuration reference lists exactly
  the flags and environment variables of serve, migrate and health; every
  deploy/ path it names exists.
"""

import datetime
import pathlib
import re
import shlex
import subprocess
import sys
from urllib.parse import urlsplit

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/samverkan")

errors = []
checks = 0


def check(cond, msg):
    global checks
    checks += 1
    if not cond:
        errors.append(msg)
    return cond


# ---------------------------------------------------------------- the binary


class Help:
    """Flags, environment variables and subcommands of one `--help`."""

    def __init__(self, path):
        out = subprocess.run(
            [BIN, *path, "--help"], capture_output=True, text=True, check=True
        ).stdout
        self.path = path
        own, _, global_part = out.partition("\nClient options:")
        self.flags = set(re.findall(r"^\s+(?:-\w, )?(--[a-z0-9-]+)", own, re.M))
        self.global_flags = set(re.findall(r"^\s+(?:-\w, )?(--[a-z0-9-]+)", global_part, re.M))
        self.envs = set(re.findall(r"\[env: ([A-Z0-9_]+)", own))
        self.flag_env = dict(re.findall(r"^\s+(--[a-z0-9-]+)[^\n]*?(?:\n\s+[^-\s][^\n]*)*?\[env: ([A-Z0-9_]+)", own, re.M))
        cmds = own.partition("\nCommands:\n")[2].partition("\n\n")[0]
        self.commands = {m for m in re.findall(r"^  ([a-z][a-z0-9-]*)\s", cmds, re.M) if m != "help"}


_helps = {}


def help_of(path):
    key = tuple(path)
    if key not in _helps:
        _helps[key] = Help(list(path))
    return _helps[key]


TOP = help_of([])
SERVE = help_of(["serve"])
MIGRATE = help_of(["migrate"])
HEALTH = help_of(["health"])


def resolve(tokens):
    """Walks `samverkan a b --x …`: returns (Help of the deepest subcommand, rest)."""
    h = TOP
    i = 0
    while i < len(tokens) and tokens[i] in h.commands:
        h = help_of([*h.path, tokens[i]])
        i += 1
    return h, tokens[i:]


def check_command(tokens, where):
    h, rest = resolve(tokens)
    check(h is not TOP, f"{where}: `samverkan {' '.join(tokens)}`: no such subcommand")
    for t in rest:
        if t.startswith("--"):
            flag = t.split("=", 1)[0]
            check(
                flag in h.flags or flag in h.global_flags,
                f"{where}: `samverkan {' '.join(h.path)}` has no flag {flag}",
            )
    return h


# ---------------------------------------------------------------- proto

GRPC = {}
for proto in sorted(ROOT.glob("proto/samverkan/*/v1/*.proto")):
    text = proto.read_text()
    pkg = re.search(r"^package ([\w.]+);", text, re.M).group(1)
    for svc in re.findall(r"^service (\w+)", text, re.M):
        GRPC[proto.parent.parent.name] = f"{pkg}.{svc}"
check(len(GRPC) == 5, f"expected five services in proto/, found {sorted(GRPC)}")

# ---------------------------------------------------------------- manifests

objects = []  # (file, doc)
for f in sorted((ROOT / "deploy/kubernetes").rglob("*.yaml")):
    for doc in yaml.safe_load_all(f.read_text()):
        if doc:
            objects.append((f.relative_to(ROOT), doc))


def of_kind(kind):
    return [(f, d) for f, d in objects if d.get("kind") == kind]


def variant(f):
    return f.parts[2]  # deploy/kubernetes/<variant>/…


services = {(variant(f), d["metadata"]["name"]): d for f, d in of_kind("Service")}
service_any = {d["metadata"]["name"]: d for _, d in of_kind("Service")}
secrets = {d["metadata"]["name"]: d for _, d in of_kind("Secret")}
configmaps = {d["metadata"]["name"]: d for _, d in of_kind("ConfigMap")}
clusters = {d["metadata"]["name"]: d for f, d in of_kind("Cluster") if f.name == "cluster.yaml"}
policies = of_kind("NetworkPolicy")


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def secret_key_exists(name, key, where):
    s = secrets.get(name)
    if check(s is not None, f"{where}: Secret {name} is not defined under deploy/kubernetes"):
        keys = set((s.get("stringData") or {}) | (s.get("data") or {}))
        check(key in keys, f"{where}: Secret {name} has no key {key}")


# ------------------------------------------------- CloudNativePG, structurally

CLUSTER_SPEC = {
    "instances", "imageName", "primaryUpdateStrategy", "storage", "affinity", "postgresql",
    "bootstrap", "managed", "backup", "resources", "externalClusters", "description",
    "walStorage", "monitoring", "enableSuperuserAccess", "superuserSecret",
}
ROLE_KEYS = {
    "name", "ensure", "comment", "login", "superuser", "bypassrls", "createdb", "createrole",
    "replication", "inherit", "connectionLimit", "passwordSecret", "validUntil", "inRoles",
    "disablePassword",
}
BARMAN_KEYS = {"destinationPath", "endpointURL", "s3Credentials", "wal", "data", "serverName", "endpointCA"}


def check_barman(b, where):
    check(set(b) <= BARMAN_KEYS, f"{where}: unknown barmanObjectStore fields {set(b) - BARMAN_KEYS}")
    check(str(b.get("destinationPath", "")).startswith("s3://"), f"{where}: destinationPath must be s3://…")
    creds = b.get("s3Credentials") or {}
    for k in ("accessKeyId", "secretAccessKey"):
        ref = creds.get(k) or {}
        if check({"name", "key"} <= set(ref), f"{where}: s3Credentials.{k} needs name and key"):
            secret_key_exists(ref["name"], ref["key"], f"{where}: s3Credentials.{k}")


def check_cluster(f, c):
    where = f"{f}: Cluster {c['metadata'].get('name')}"
    check(c.get("apiVersion") == "postgresql.cnpg.io/v1", f"{where}: apiVersion")
    check(c["metadata"].get("namespace") == "samverkan", f"{where}: namespace")
    spec = c.get("spec") or {}
    check(set(spec) <= CLUSTER_SPEC, f"{where}: unknown spec fields {set(spec) - CLUSTER_SPEC}")
    check(isinstance(spec.get("instances"), int) and spec["instances"] >= 3,
          f"{where}: high availability needs instances >= 3")
    check(re.fullmatch(r"\d+(Gi|Mi|Ti)", str((spec.get("storage") or {}).get("size", ""))),
          f"{where}: storage.size")
    boot = spec.get("bootstrap") or {}
    check(len(boot) == 1 and set(boot) <= {"initdb", "recovery"},
          f"{where}: bootstrap must be exactly one of initdb, recovery")
    for method, b in boot.items():
        for k in ("database", "owner"):
            check(isinstance(b.get(k), str) and b[k], f"{where}: bootstrap.{method}.{k}")
        if check("name" in (b.get("secret") or {}), f"{where}: bootstrap.{method}.secret.name"):
            secret_key_exists(b["secret"]["name"], "password", where)
            check((secrets[b["secret"]["name"]].get("stringData") or {}).get("username") == b["owner"],
                  f"{where}: the owner Secret's username must be {b['owner']}")
        if method == "recovery":
            sources = {e["name"]: e for e in spec.get("externalClusters") or []}
            check(b.get("source") in sources, f"{where}: recovery.source names no externalClusters entry")
            for e in sources.values():
                check_barman(e.get("barmanObjectStore") or {}, f"{where}: externalClusters {e['name']}")
            t = (b.get("recoveryTarget") or {}).get("targetTime")
            try:
                datetime.datetime.fromisoformat(str(t).replace("Z", "+00:00"))
                check(True, "")
            except ValueError:
                check(False, f"{where}: recoveryTarget.targetTime {t!r} is not RFC 3339")
    for r in (spec.get("managed") or {}).get("roles") or []:
        rw = f"{where}: managed role {r.get('name')}"
        check(set(r) <= ROLE_KEYS, f"{rw}: unknown fields {set(r) - ROLE_KEYS}")
        check(r.get("ensure", "present") in ("present", "absent"), f"{rw}: ensure")
        check(r.get("superuser") is False and r.get("bypassrls") is False,
              f"{rw}: the services' role must be superuser: false and bypassrls: false")
        if check("name" in (r.get("passwordSecret") or {}), f"{rw}: passwordSecret.name"):
            secret_key_exists(r["passwordSecret"]["name"], "password", rw)
            check((secrets[r["passwordSecret"]["name"]].get("stringData") or {}).get("username") == r["name"],
                  f"{rw}: its Secret's username must be {r['name']}")
    backup = spec.get("backup") or {}
    if check("barmanObjectStore" in backup, f"{where}: continuous WAL archiving needs backup.barmanObjectStore"):
        check_barman(backup["barmanObjectStore"], f"{where}: backup")


cnpg = 0
for f, d in of_kind("Cluster"):
    check_cluster(f, d)
    cnpg += 1
for f, d in of_kind("ScheduledBackup"):
    cnpg += 1
    where = f"{f}: ScheduledBackup {d['metadata']['name']}"
    spec = d.get("spec") or {}
    check(set(spec) <= {"schedule", "immediate", "backupOwnerReference", "method", "cluster", "suspend", "target"},
          f"{where}: unknown spec fields")
    check(len(str(spec.get("schedule", "")).split()) == 6, f"{where}: schedule needs six fields (seconds first)")
    check((spec.get("cluster") or {}).get("name") in clusters, f"{where}: cluster.name names no Cluster")
    check(spec.get("method", "barmanObjectStore") in ("barmanObjectStore", "volumeSnapshot", "plugin"), f"{where}: method")
    check(spec.get("backupOwnerReference", "none") in ("none", "self", "cluster"), f"{where}: backupOwnerReference")
check(len(clusters) == 1, "deploy/kubernetes/postgres/cluster.yaml must define one Cluster")
CLUSTER = next(iter(clusters.values()))
INITDB = CLUSTER["spec"]["bootstrap"]["initdb"]
APP_ROLES = {r["name"]: r for r in CLUSTER["spec"]["managed"]["roles"]}

# ------------------------------------------------------- samverkan containers

CONFIG = configmaps["samverkan-config"]["data"]
for k in CONFIG:
    check(k in SERVE.envs, f"ConfigMap samverkan-config: {k} is not an environment variable of `samverkan serve`")
LISTEN_PORT = int(CONFIG["SAMVERKAN_LISTEN"].rsplit(":", 1)[1])
SVC_OF_URL = {f"SAMVERKAN_{name.upper()}_URL": name for name in GRPC}
# The split variant's --roles-url, --forums-url, … (env SAMVERKAN_ROLES_URL, …).
# Until serve reads them, its services call one another in process over the
# shared database, the variables are ignored, and this check says so instead
# of failing; once serve has any of them, every one used must be real.
URL_FLAGS = SVC_OF_URL.keys() & SERVE.envs
pending_url_envs = set()

deployments = of_kind("Deployment")
workloads = deployments + of_kind("Job")
edges = []  # (variant, caller component, callee component)
serve_db_users = set()
migrate_roles = set()

for f, d in workloads:
    name = f"{f}: {d['kind']} {d['metadata']['name']}"
    pod = d["spec"]["template"]
    for c in pod["spec"]["containers"]:
        if "samverkan:" not in c["image"]:
            continue
        where = f"{name} container {c['name']}"
        h = check_command(c.get("args") or [], where)
        env = {e["name"]: e for e in c.get("env") or []}
        values = {k: e.get("value", "") for k, e in env.items()}
        from_cm = {}
        for src in c.get("envFrom") or []:
            cm = (src.get("configMapRef") or {}).get("name")
            if check(cm in configmaps, f"{where}: envFrom names no ConfigMap {cm}"):
                from_cm.update(configmaps[cm]["data"])
        expanded = set(re.findall(r"\$\((\w+)\)", " ".join(values.values())))
        for k in env:
            if k in SVC_OF_URL and h is SERVE and not URL_FLAGS:
                pending_url_envs.add(k)
                continue
            check(k in h.envs or k in expanded,
                  f"{where}: {k} is neither read by `samverkan {' '.join(h.path)}` nor used in a $(…) expansion")
            ref = (env[k].get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                secret_key_exists(ref["name"], ref["key"], where)
        for k in from_cm:
            check(k in h.envs, f"{where}: ConfigMap key {k} is not read by `samverkan {' '.join(h.path)}`")
        merged = {**from_cm, **values}
        url = urlsplit(re.sub(r"\$\(\w+\)", "secret", merged.get("DATABASE_URL", "")))
        check(url.hostname == f"{CLUSTER['metadata']['name']}-rw",
              f"{where}: DATABASE_URL must use the Cluster's -rw Service, not {url.hostname}")
        check(url.port == 5432 and url.path == f"/{INITDB['database']}",
              f"{where}: DATABASE_URL must name port 5432 and database {INITDB['database']}")
        if h is MIGRATE:
            check(url.username == INITDB["owner"], f"{where}: migrations run as the owner {INITDB['owner']}")
            migrate_roles.add(merged.get("SAMVERKAN_SERVICE_ROLE", "samverkan_app"))
            continue
        check(h is SERVE, f"{where}: a samverkan Deployment runs `serve`")
        check(url.username in APP_ROLES,
              f"{where}: the services connect as a managed non-owner role, not {url.username}")
        serve_db_users.add(url.username)
        check(int(merged["SAMVERKAN_LISTEN"].rsplit(":", 1)[1]) == LISTEN_PORT, f"{where}: listen port")
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports") or []}
        check(ports == {"grpc": LISTEN_PORT}, f"{where}: containerPort grpc must be {LISTEN_PORT}, is {ports}")
        served = merged.get("SAMVERKAN_SERVICES", "all")
        for probe in ("readinessProbe", "livenessProbe"):
            g = (c.get(probe) or {}).get("grpc")
            if check(g is not None, f"{where}: {probe} must be a gRPC probe"):
                check(g.get("port") == LISTEN_PORT, f"{where}: {probe} port {g.get('port')} != {LISTEN_PORT}")
                check("service" in g, f"{where}: {probe} must set service")
                want = {""} | set(GRPC.values()) if served == "all" else {GRPC.get(served)}
                check(g.get("service") in want, f"{where}: {probe} service {g.get('service')!r} is not what it serves ({served})")
        res = c.get("resources") or {}
        check({"cpu", "memory"} <= set(res.get("requests") or {}) and "memory" in (res.get("limits") or {}),
              f"{where}: resource requests (cpu, memory) and a memory limit")
        component = pod["metadata"]["labels"]["app.kubernetes.io/component"]
        for k, v in merged.items():
            if k.endswith("_URL") and k.startswith("SAMVERKAN_") and k != "SAMVERKAN_JWKS_URL":
                check(k in SVC_OF_URL, f"{where}: {k} names no service")
                u = urlsplit(v)
                target = services.get((variant(f), u.hostname))
                if check(target is not None, f"{where}: {k}={v}: no Service {u.hostname} in {variant(f)}/"):
                    check([p["port"] for p in target["spec"]["ports"]] == [u.port],
                          f"{where}: {k}={v}: Service {u.hostname} does not listen on {u.port}")
                    callee = target["spec"]["selector"].get("app.kubernetes.io/component")
                    check(callee == SVC_OF_URL.get(k),
                          f"{where}: {k} points at Service {u.hostname} whose pods serve {callee}")
                    edges.append((variant(f), component, callee))

check(serve_db_users and serve_db_users == migrate_roles,
      f"migrate grants to {migrate_roles} but the services connect as {serve_db_users}")

# Services select pods that serve them, on the listen port.
for (var, sname), s in services.items():
    if s["metadata"]["labels"].get("app.kubernetes.io/name") != "samverkan":
        continue
    pods = [d for f, d in deployments if variant(f) == var
            and labels_match(s["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
    check(len(pods) == 1, f"Service {sname} in {var}/ selects {len(pods)} Deployments")
    check(all(p["port"] == LISTEN_PORT and p["targetPort"] in ("grpc", LISTEN_PORT) for p in s["spec"]["ports"]),
          f"Service {sname}: port and targetPort must be {LISTEN_PORT}/grpc")

# Every Deployment has its PDB, HPA and NetworkPolicy.
for f, d in deployments:
    name = d["metadata"]["name"]
    labels = d["spec"]["template"]["metadata"]["labels"]
    same = [o for g, o in objects if g.parent == f.parent]
    if labels.get("app.kubernetes.io/name") != "samverkan":
        continue  # the collector: one replica, no PDB or HPA
    check(any(o["kind"] == "PodDisruptionBudget" and labels_match(o["spec"]["selector"]["matchLabels"], labels) for o in same),
          f"{f}: Deployment {name} has no PodDisruptionBudget")
    if True:
        check(any(o["kind"] == "HorizontalPodAutoscaler" and o["spec"]["scaleTargetRef"]["name"] == name for o in same),
              f"{f}: Deployment {name} has no HorizontalPodAutoscaler")
        check(any(o["kind"] == "NetworkPolicy" and o["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == labels["app.kubernetes.io/component"] for o in same),
              f"{f}: Deployment {name} has no NetworkPolicy of its own")


def policy_peers(pol, direction):
    key = "from" if direction == "ingress" else "to"
    for rule in pol["spec"].get(direction) or []:
        for peer in rule.get(key) or []:
            yield peer, [p.get("port") for p in rule.get("ports") or []]


def component_policies(var, comp):
    return [d for f, d in policies if variant(f) == var
            and d["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/component") == comp]


# The split variant's service-to-service edges: exactly those the URLs make.
split_components = {d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
                    for f, d in deployments if variant(f) == "split"}
check(split_components == set(GRPC), f"split/ must have one Deployment per service, has {split_components}")
for var in {variant(f) for f, _ in deployments}:
    comps = {d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component")
             for f, d in deployments if variant(f) == var}
    want = {(a, b) for v, a, b in edges if v == var}
    for comp in comps:
        pols = component_policies(var, comp)
        got_out = {peer["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
                   for p in pols for peer, ports in policy_peers(p, "egress") if "podSelector" in peer
                   and LISTEN_PORT in ports}
        got_in = {peer["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
                  for p in pols for peer, ports in policy_peers(p, "ingress") if "podSelector" in peer
                  and "app.kubernetes.io/component" in peer["podSelector"].get("matchLabels", {})
                  and LISTEN_PORT in ports}
        check(got_out == {b for a, b in want if a == comp},
              f"{var}/: {comp} may call {sorted(got_out)} but its URLs name {sorted(b for a, b in want if a == comp)}")
        check(got_in == {a for a, b in want if b == comp},
              f"{var}/: {comp} admits {sorted(got_in)} but is called by {sorted(a for a, b in want if b == comp)}")

# The base egress policy reaches the database and the collector.
base = [d for _, d in policies if d["metadata"]["name"] == "samverkan-egress-base"]
if check(len(base) == 1, "common/networkpolicy.yaml: samverkan-egress-base"):
    peers = list(policy_peers(base[0], "egress"))
    check(any(p.get("podSelector", {}).get("matchLabels") == {"cnpg.io/cluster": CLUSTER["metadata"]["name"]} and 5432 in ports
              for p, ports in peers), "egress-base must admit PostgreSQL (cnpg.io/cluster, 5432)")
    otel = urlsplit(CONFIG["OTEL_EXPORTER_OTLP_ENDPOINT"])
    collector_svc = service_any.get(otel.hostname)
    if check(collector_svc is not None, f"OTEL_EXPORTER_OTLP_ENDPOINT names no Service {otel.hostname}"):
        check(any(labels_match(p.get("podSelector", {}).get("matchLabels"), collector_svc["spec"]["selector"]) and otel.port in ports
                  for p, ports in peers), "egress-base must admit the collector's pods on the OTLP port")
        sp = [p for p in collector_svc["spec"]["ports"] if p["port"] == otel.port]
        check(len(sp) == 1, f"Service {otel.hostname} does not listen on {otel.port}")
        coll = [d for _, d in deployments if labels_match(collector_svc["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])]
        if check(len(coll) == 1 and sp, "the collector's Service selects one Deployment"):
            cports = {p["name"]: p["containerPort"] for p in coll[0]["spec"]["template"]["spec"]["containers"][0]["ports"]}
            target = sp[0]["targetPort"]
            cport = cports.get(target, target)
            cfg_text = (ROOT / "deploy/otel/collector.yaml").read_text()
            cfg = yaml.safe_load(cfg_text)
            endpoint = cfg["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
            check(int(endpoint.rsplit(":", 1)[1]) == cport, f"collector listens on {endpoint}, its Service targets {cport}")
            check(configmaps["otel-collector-config"]["data"]["collector.yaml"] == cfg_text,
                  "deploy/kubernetes/otel/collector.yaml's ConfigMap differs from deploy/otel/collector.yaml")
            pipe = cfg["service"]["pipelines"]["traces"]
            check(set(pipe["receivers"]) <= set(cfg["receivers"]) and set(pipe["exporters"]) <= set(cfg["exporters"])
                  and set(pipe["processors"]) <= set(cfg["processors"]) and {"debug", "otlp"} <= set(pipe["exporters"]),
                  "collector: the traces pipeline must use defined components and export to debug and otlp")

# ---------------------------------------------------------------- Dockerfile

docker = (ROOT / "deploy/container/Dockerfile").read_text()
check(f"EXPOSE {LISTEN_PORT}" in docker, f"Dockerfile must EXPOSE {LISTEN_PORT}")
check(f"ENV SAMVERKAN_LISTEN=0.0.0.0:{LISTEN_PORT}" in docker, "Dockerfile must listen on every interface, same port")
hc = re.search(r'HEALTHCHECK .*?CMD (\[.*?\])', docker, re.S)
if check(hc is not None, "Dockerfile needs a HEALTHCHECK"):
    argv = yaml.safe_load(hc.group(1))
    check(argv[0].endswith("/samverkan"), "HEALTHCHECK runs the samverkan binary")
    check(check_command(argv[1:], "Dockerfile HEALTHCHECK") is HEALTH, "HEALTHCHECK runs `samverkan health`")
    check(f":{LISTEN_PORT}" in " ".join(argv), "HEALTHCHECK asks the listen port")
check(re.search(r"^USER 65532", docker, re.M) is not None, "Dockerfile runs as the non-root user 65532")

# ---------------------------------------------------------- the operations guide

guide_path = ROOT / "docs/operations.md"
guide = guide_path.read_text()
commands = 0
for block in re.findall(r"```(?:sh|console|bash)\n(.*?)```", guide, re.S):
    for line in block.replace("\\\n", " ").splitlines():
        line = line.strip().removeprefix("$ ")
        if not line or line.startswith("#"):
            continue
        try:
            tokens = shlex.split(line, comments=True)
        except ValueError:
            continue
        # `samverkan …`, also after `docker run … IMAGE` and `kubectl … --`.
        for i, t in enumerate(tokens):
            if t == "samverkan" or t.endswith("/samverkan") or re.fullmatch(r"[\w./-]*samverkan:[\w.-]+", t):
                rest = tokens[i + 1:]
                if rest and (rest[0] in TOP.commands):
                    check_command([r for r in rest if r not in ("|", "&&")][: next((j for j, r in enumerate(rest) if r in ("|", "&&", ";")), len(rest))], f"docs/operations.md: `{line}`")
                    commands += 1
                break
check(commands >= 5, f"docs/operations.md: expected its code blocks to show samverkan commands, found {commands}")
for p in sorted(set(re.findall(r"(?<![\w/])(deploy/[\w./-]*[\w/]|\.ci/[\w.-]+)", guide))):
    check((ROOT / p).exists(), f"docs/operations.md names {p}, which does not exist")


def table_rows(heading):
    """`| --flag | ENV | …` rows of the table under the `### heading`."""
    part = guide.partition(f"\n### {heading}\n")[2].split("\n#")[0]
    flags, envs = set(), set()
    for row in re.findall(r"^\|(.*)\|$", part, re.M):
        cells = [c.strip() for c in row.split("|")]
        flags |= set(re.findall(r"`(--[a-z0-9-]+)`", cells[0]))
        if len(cells) > 1:
            envs |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[1]))
    return flags, envs


for heading, h in (("samverkan serve", SERVE), ("samverkan migrate", MIGRATE), ("samverkan health", HEALTH)):
    flags, envs = table_rows(heading)
    want_flags = h.flags - {"--help"}
    want_envs = h.envs
    if h is SERVE and not URL_FLAGS:
        # Documented ahead of the binary; see URL_FLAGS.
        want_flags = want_flags | {f"--{s}-url" for s in GRPC}
        want_envs = want_envs | SVC_OF_URL.keys()
    check(flags == want_flags,
          f"docs/operations.md `{heading}` table: missing {sorted(want_flags - flags)}, unknown {sorted(flags - want_flags)}")
    check(envs == want_envs,
          f"docs/operations.md `{heading}` table: env missing {sorted(want_envs - envs)}, unknown {sorted(envs - want_envs)}")

# ---------------------------------------------------------------- report

if pending_url_envs:
    print(f"deploy: NOTE `samverkan serve` does not read {', '.join(sorted(pending_url_envs))} yet: "
          "the split variant's services call one another in process over the shared database")
if errors:
    for e in errors:
        print(f"deploy: FAIL {e}")
    print(f"deploy: {len(errors)} of {checks} consistency checks failed")
    sys.exit(1)
print(f"deploy: {len(objects)} Kubernetes objects read, {cnpg} CloudNativePG objects checked structurally, "
      f"{commands} commands of docs/operations.md checked against --help, {checks} consistency checks passed")
