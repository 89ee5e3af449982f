#!/usr/bin/env python3
"""Checks Weft's Kubernetes manifests without a cluster.

Every *.yaml here is parsed, validated against the Kubernetes API schemas (kubernetes-validate, strict: an unknown or
misspelt field is an error) for the oldest version the manifests support (1.29, native sidecars) and the newest the
package knows, and then checked for what issue 15 asks of them:

- every container: no privilege escalation, not privileged, read-only root filesystem, all capabilities dropped, the
  runtime's seccomp profile; Weft's own containers also run as uid 65532 with runAsNonRoot. The one exception is the
  DaemonSet's state-dir-owner init container, which may run as root with CAP_CHOWN alone and may only chown.
- Weft's containers: liveness on /healthz, readiness on /readyz (the DaemonSet; the sidecar has a startup probe on
  /healthz instead and deliberately no readiness), on the port of metrics_address, Prometheus annotations naming it.
- hostPath mounts read-only, except the state directory, which must be the config's state_dir; the DaemonSet mounts
  /var/log/pods and /var/log/containers read-only at their own paths; every source glob lies under a mount.
- memory and CPU requests and limits on every container, limits not below requests.
- the command runs `weft run --config` on the mounted ConfigMap key, every ${VAR} in the config is in the
  container's environment, and the OTLP endpoint names the gateway's Service and port.
- with --weft BINARY: `weft config check` passes on every ConfigMap's weft.yaml (with the ${VAR}s set). A binary that
  has no `config` subcommand yet is reported and skipped, unless --require-config-check.

Usage: python3 deploy/kubernetes/check.py [--weft BINARY] [--require-config-check] [FILE.yaml ...]
Exit status 0 when every check passes, 1 otherwise; one line per failure.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

try:
    import yaml
except ImportError:
    sys.exit("check.py: needs PyYAML (python3 -m pip install pyyaml; scripts/ensure-deps installs it)")
try:
    import kubernetes_validate
except ImportError:
    sys.exit("check.py: needs kubernetes-validate (python3 -m pip install kubernetes-validate; scripts/ensure-deps "
             "installs it)")

HERE = Path(__file__).resolve().parent
WEFT_BINARY = "/usr/bin/weft"
WEFT_UID = 65532
SCHEMA_VERSIONS = ["1.29.0", kubernetes_validate.latest_version()]
READ_WRITE_HOSTPATHS = {"/var/lib/weft"}  # the state directory, and nothing else
NODE_LOG_DIRS = ["/var/log/pods", "/var/log/containers"]

failures = []


def fail(where, message):
    failures.append(f"{where}: {message}")


def quantity(value):
    """A Kubernetes quantity in bytes or cores, for comparisons."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(value))
    if not match or match.group(2) not in units and match.group(2):
        raise ValueError(f"not a quantity: {value}")
    return float(match.group(1)) * units.get(match.group(2), 1)


def pod_spec(doc):
    if doc["kind"] in ("DaemonSet", "Deployment", "StatefulSet", "ReplicaSet", "Job"):
        return doc["spec"]["template"]
    if doc["kind"] == "Pod":
        return doc
    return None


def is_weft(container):
    return (container.get("command") or [None])[0] == WEFT_BINARY


def effective(container, pod, key):
    """A security setting as the kubelet applies it: the container's, else the pod's."""
    value = (container.get("securityContext") or {}).get(key)
    return value if value is not None else (pod.get("securityContext") or {}).get(key)


def probe_path_port(probe):
    get = (probe or {}).get("httpGet") or {}
    return get.get("path"), get.get("port")


def check_container(where, container, pod, ports):
    sc = container.get("securityContext") or {}
    caps = sc.get("capabilities") or {}
    if sc.get("allowPrivilegeEscalation") is not False:
        fail(where, "allowPrivilegeEscalation must be false")
    if sc.get("privileged"):
        fail(where, "must not be privileged")
    if sc.get("readOnlyRootFilesystem") is not True:
        fail(where, "readOnlyRootFilesystem must be true")
    if "ALL" not in (caps.get("drop") or []):
        fail(where, "capabilities must drop ALL")
    if (effective(container, pod, "seccompProfile") or {}).get("type") != "RuntimeDefault":
        fail(where, "seccompProfile must be RuntimeDefault")

    owner_init = container["name"] == "state-dir-owner"
    if owner_init:
        if (caps.get("add") or []) != ["CHOWN"]:
            fail(where, "the state-dir-owner init container may add CHOWN and nothing else")
        command = container.get("command") or []
        if command[:1] != ["chown"] or any(arg.startswith("-") for arg in command[1:]):
            # Not -R: Weft's 0700 subdirectories are closed to a root without CAP_DAC_OVERRIDE.
            fail(where, "the state-dir-owner init container may only run chown, not recursively")
    else:
        if caps.get("add"):
            fail(where, f"adds capabilities {caps['add']}")
        if effective(container, pod, "runAsNonRoot") is not True:
            fail(where, "runAsNonRoot must be true")
        if effective(container, pod, "runAsUser") in (None, 0):
            fail(where, "runAsUser must be a non-zero uid")
    if is_weft(container) and effective(container, pod, "runAsUser") != WEFT_UID:
        fail(where, f"Weft runs as uid {WEFT_UID}, the image's USER")

    resources = container.get("resources") or {}
    for resource in ("cpu", "memory"):
        request = (resources.get("requests") or {}).get(resource)
        limit = (resources.get("limits") or {}).get(resource)
        if request is None or limit is None:
            fail(where, f"needs a {resource} request and limit")
        elif quantity(limit) < quantity(request):
            fail(where, f"{resource} limit {limit} is below its request {request}")

    for port in container.get("ports") or []:
        if "name" in port:
            ports[port["name"]] = port["containerPort"]


def check_weft(where, container, pod, kind, configs, ports, annotations, mounts, volumes, services):
    command = container.get("command") or []
    if command[:3] != [WEFT_BINARY, "run", "--config"] or len(command) != 4:
        fail(where, f"command must be [{WEFT_BINARY}, run, --config, FILE], not {command}")
        return
    config_path = command[3]
    config_text = None
    for mount in container.get("volumeMounts") or []:
        volume = volumes.get(mount["name"]) or {}
        if "configMap" not in volume:
            continue
        name = volume["configMap"]["name"]
        if mount.get("subPath") and mount["mountPath"] == config_path:
            config_text = configs.get(name, {}).get(mount["subPath"])
        elif not mount.get("subPath") and config_path.startswith(mount["mountPath"].rstrip("/") + "/"):
            config_text = configs.get(name, {}).get(config_path[len(mount["mountPath"].rstrip("/")) + 1:])
    if config_text is None:
        fail(where, f"{config_path} is not a key of a ConfigMap mounted in this container")
        return
    config = yaml.safe_load(config_text)

    # Environment: every ${VAR} the config uses is set.
    env = {e["name"] for e in container.get("env") or []}
    for var in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", config_text):
        if var not in env:
            fail(where, f"the config uses ${{{var}}}, which the container's env does not set")

    # Metrics address, probes and scrape annotations agree on one port.
    metrics_port = int(str(config.get("metrics_address", "")).rpartition(":")[2] or 0)
    if not metrics_port:
        fail(where, "the config sets no metrics_address (probes and scraping need it)")
    if ports.get("metrics") != metrics_port:
        fail(where, f"containerPort 'metrics' ({ports.get('metrics')}) is not metrics_address's port {metrics_port}")

    def probe(name, path, required=True):
        p = container.get(name)
        if p is None:
            if required:
                fail(where, f"needs a {name} on {path}")
            return
        got_path, got_port = probe_path_port(p)
        got_port = ports.get(got_port, got_port)
        if (got_path, got_port) != (path, metrics_port):
            fail(where, f"{name} must be httpGet {path} on port {metrics_port}, not {got_path} on {got_port}")

    probe("livenessProbe", "/healthz")
    if kind == "DaemonSet":
        probe("readinessProbe", "/readyz")
    else:
        probe("readinessProbe", "/readyz", required=False)
        probe("startupProbe", "/healthz", required=False)
    if annotations.get("prometheus.io/scrape") != "true" or annotations.get("prometheus.io/port") != str(
            metrics_port) or annotations.get("prometheus.io/path") != "/metrics":
        fail(where, f"pod annotations must be prometheus.io/scrape \"true\", port \"{metrics_port}\", path /metrics")

    # Mounts: the state directory is writable and is state_dir; every source glob is under a mount.
    state_dir = config.get("state_dir")
    writable = [m for m in mounts if not m.get("readOnly")]
    if not any(m["mountPath"] == state_dir for m in writable):
        fail(where, f"state_dir {state_dir} is not a writable mount")
    for source in config.get("sources") or []:
        for glob in source.get("paths") or []:
            if not any(glob.startswith(m["mountPath"].rstrip("/") + "/") for m in mounts):
                fail(where, f"source {source.get('name')}: {glob} is under no mount")

    # Output: the OTLP endpoint is the gateway's Service.
    endpoint = ((config.get("output") or {}).get("otlp") or {}).get("endpoint")
    if endpoint:
        url = urlparse(endpoint)
        host = url.hostname or ""
        parts = host.split(".")
        if len(parts) >= 2 and (parts[0], parts[1]) in services:
            if url.port not in services[(parts[0], parts[1])]:
                fail(where, f"{endpoint}: the Service {parts[0]}.{parts[1]} has no port {url.port}")
        elif host.endswith(".svc") or ".svc." in host:
            fail(where, f"{endpoint}: no Service {'.'.join(parts[:2])} in these manifests")


def check_daemonset(where, spec, containers, volumes):
    if not any(t.get("operator") == "Exists" and "key" not in t for t in spec.get("tolerations") or []):
        fail(where, "needs a toleration {operator: Exists} to run on every node")
    weft = next((c for c in containers if is_weft(c)), None)
    if weft is None:
        fail(where, "has no Weft container")
        return
    mounts = {m["mountPath"]: m for m in weft.get("volumeMounts") or []}
    for path in NODE_LOG_DIRS:
        mount = mounts.get(path)
        volume = volumes.get(mount["name"]) if mount else None
        if not mount or not volume or (volume.get("hostPath") or {}).get("path") != path:
            fail(where, f"must mount hostPath {path} at {path}")
        elif mount.get("readOnly") is not True:
            fail(where, f"{path} must be mounted read-only")
    state = [m for m in mounts.values() if (volumes.get(m["name"]) or {}).get("hostPath", {}).get("path")
             in READ_WRITE_HOSTPATHS]
    if not state:
        fail(where, f"needs a hostPath state directory ({', '.join(READ_WRITE_HOSTPATHS)})")


def check_gateway(where, configs, services):
    """The collector config: parses, its pipeline's components are defined, the receiver's port is the Service's."""
    for name, data in configs.items():
        for key, text in data.items():
            if key != "gateway.yaml":
                continue
            config = yaml.safe_load(text)
            logs = config["service"]["pipelines"]["logs"]
            for kind in ("receivers", "processors", "exporters"):
                for component in logs.get(kind, []):
                    if component not in (config.get(kind) or {}):
                        fail(f"{where} {name}/{key}", f"pipeline uses {kind[:-1]} {component}, which is not defined")
            for extension in config["service"].get("extensions", []):
                if extension not in (config.get("extensions") or {}):
                    fail(f"{where} {name}/{key}", f"service uses extension {extension}, which is not defined")
            if logs.get("processors", [None])[0] != "memory_limiter":
                fail(f"{where} {name}/{key}", "memory_limiter must come first in the pipeline")
            endpoint = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
            port = int(endpoint.rpartition(":")[2])
            if not any(port in ports for ports in services.values()):
                fail(f"{where} {name}/{key}", f"no Service exposes the receiver's port {port}")


def weft_config_check(weft, configs, env_vars, require):
    """`weft config check` on every weft.yaml, when the binary has the subcommand."""
    help_text = subprocess.run([weft, "--help"], capture_output=True, text=True).stdout
    if not re.search(r"^\s+config\b", help_text, re.MULTILINE):
        message = f"{weft} has no `config` subcommand yet: `weft config check` not run on the ConfigMaps"
        if require:
            fail("weft config check", message)
        else:
            print(f"check.py: SKIPPED: {message}")
        return
    env = dict(os.environ)
    env.update({var: "check-placeholder" for var in env_vars})
    for (file, name, key), text in configs.items():
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write(text)
        try:
            result = subprocess.run([weft, "config", "check", f.name], capture_output=True, text=True, env=env)
        finally:
            os.unlink(f.name)
        if result.returncode != 0:
            fail(f"{file} ConfigMap {name} {key}", "weft config check: exit {}: {}".format(
                result.returncode, (result.stderr + result.stdout).strip().replace("\n", " | ")))
        else:
            print(f"check.py: weft config check: {file} ConfigMap {name} {key}: ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--weft", help="a weft binary: run `weft config check` on every ConfigMap's weft.yaml")
    parser.add_argument("--require-config-check", action="store_true",
                        help="fail (rather than skip) when the binary has no `config check`")
    args = parser.parse_args()
    files = args.files or sorted(HERE.glob("*.yaml"))
    if not files:
        sys.exit("check.py: no manifests")

    documents = []
    for path in files:
        try:
            docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        except yaml.YAMLError as error:
            fail(path.name, f"not YAML: {error}")
            continue
        for doc in docs:
            for key in ("apiVersion", "kind", "metadata"):
                if key not in doc:
                    fail(path.name, f"a document without {key}")
            documents.append((path.name, doc))
    if failures:
        return report(0)

    # The API schemas, strict.
    for file, doc in documents:
        for version in SCHEMA_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                fail(f"{file} {doc['kind']}/{doc['metadata']['name']}", f"Kubernetes {version} schema: {error}")

    configs = {}  # ConfigMap name -> data, per namespace-less name (the manifests use distinct names)
    services = {}  # (name, namespace) -> ports
    weft_configs = {}  # (file, ConfigMap, key) -> weft.yaml text
    for file, doc in documents:
        if doc["kind"] == "ConfigMap":
            configs[doc["metadata"]["name"]] = doc.get("data") or {}
            for key, text in (doc.get("data") or {}).items():
                if key == "weft.yaml":
                    weft_configs[(file, doc["metadata"]["name"], key)] = text
        if doc["kind"] == "Service":
            ns = doc["metadata"].get("namespace", "default")
            services[(doc["metadata"]["name"], ns)] = {p["port"] for p in doc["spec"]["ports"]}

    env_vars = set()
    workloads = 0
    for file, doc in documents:
        template = pod_spec(doc)
        if template is None:
            continue
        workloads += 1
        pod = template["spec"]
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        containers = (pod.get("initContainers") or []) + pod["containers"]
        where = f"{file} {doc['kind']}/{doc['metadata']['name']}"
        for container in containers:
            cwhere = f"{where} container {container['name']}"
            ports = {}
            check_container(cwhere, container, pod, ports)
            mounts = container.get("volumeMounts") or []
            for mount in mounts:
                host_path = (volumes.get(mount["name"]) or {}).get("hostPath", {}).get("path")
                if host_path and host_path not in READ_WRITE_HOSTPATHS and mount.get("readOnly") is not True:
                    fail(cwhere, f"hostPath {host_path} must be mounted read-only")
            if is_weft(container):
                check_weft(cwhere, container, pod, doc["kind"], configs, ports, annotations, mounts, volumes,
                           services)
                env_vars |= {e["name"] for e in container.get("env") or []}
        if doc["kind"] == "DaemonSet":
            check_daemonset(where, pod, containers, volumes)
    check_gateway("gateway", configs, services)
    if not any(doc["kind"] == "DaemonSet" for _, doc in documents):
        fail("manifests", "no DaemonSet")

    if args.weft:
        weft_config_check(args.weft, weft_configs, env_vars, args.require_config_check)
    return report(workloads, len(documents), len(files))


def report(workloads, documents=0, files=0):
    for failure in failures:
        print(f"check.py: FAILED: {failure}")
    if failures:
        return 1
    print(f"check.py: ok: {files} files, {documents} objects ({workloads} workloads), Kubernetes schemas "
          f"{' and '.join(SCHEMA_VERSIONS)} (strict), security, probes, mounts, resources, config wiring")
    return 0


if __name__ == "__main__":
    sys.exit(main())
