"""The objects the Icepack chart deploys, rendered from values, with live status.

``render(values, now)`` returns plain dicts shaped as the API server returns them
(camelCase, metadata with uid/resourceVersion/creationTimestamp, status filled in
as a healthy, settled environment would report it). Drifts edit the result.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

import yaml
from croniter import croniter

from icepack_twin.objects import Objects
from icepack_twin.values import CHART_NAME, CHART_VERSION, NAMESPACE, PREVIOUS_CHART_VERSION, RELEASE

REVISION = 7  # the deployed Helm revision; REVISION - 1 is the superseded one
POD_TEMPLATE_HASH = "7d9f8c6b5"
NODES = ["ip-10-40-11-23.ec2.internal", "ip-10-40-27-118.ec2.internal", "ip-10-40-43-9.ec2.internal"]


def ts(t: datetime) -> str:
    return t.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Ctx:
    """Rendering state: values, clock, deterministic uids and resourceVersions."""

    def __init__(self, values: dict, now: datetime):
        self.v = values
        self.now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
        self.deployed_at = self.now - timedelta(days=2, hours=3)
        self._rv = 48_210_000

    def uid(self, kind: str, name: str) -> str:
        env = self.v["global"]["env"]
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"icepack-twin/{env}/{kind}/{name}"))

    def meta(self, kind: str, name: str, component: str | None = None, *, namespaced: bool = True,
             created: datetime | None = None, labels: dict | None = None, **extra) -> dict:
        self._rv += 17
        meta = {
            "name": name,
            "uid": self.uid(kind, name),
            "resourceVersion": str(self._rv),
            "creationTimestamp": ts(created or self.deployed_at),
            "labels": labels if labels is not None else self.labels(component),
            **extra,
        }
        if namespaced:
            meta["namespace"] = NAMESPACE
        return meta

    def labels(self, component: str | None) -> dict:
        labels = {
            "app.kubernetes.io/name": "icepack",
            "app.kubernetes.io/instance": RELEASE,
            "app.kubernetes.io/managed-by": "Helm",
            "app.kubernetes.io/version": self.v["image"]["tag"],
            "helm.sh/chart": f"{CHART_NAME}-{CHART_VERSION}",
        }
        if component:
            labels["app.kubernetes.io/component"] = component
        return labels

    def selector(self, component: str) -> dict:
        return {"app.kubernetes.io/name": "icepack", "app.kubernetes.io/instance": RELEASE,
                "app.kubernetes.io/component": component}

    @property
    def image(self) -> str:
        return f"{self.v['image']['repository']}:{self.v['image']['tag']}"

    @property
    def pg_host(self) -> str:
        pg = self.v["postgres"]
        return "icepack-postgres" if pg["internal"]["enabled"] else pg["external"]["host"]

    def env(self) -> list[dict]:
        pg = self.v["postgres"]
        return [
            {"name": "ICEPACK_ENV", "value": self.v["global"]["env"]},
            {"name": "AWS_REGION", "value": self.v["global"]["region"]},
            {"name": "PGHOST", "value": self.pg_host},
            {"name": "PGPORT", "value": str(pg["port"])},
            {"name": "PGDATABASE", "value": pg["database"]},
            {"name": "PGUSER", "value": pg["user"]},
            {"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {"name": "icepack-db", "key": "password"}}},
        ]

    def pod_spec(self, container: dict, restart: str = "Always", **extra) -> dict:
        return {
            "serviceAccountName": self.v["serviceAccount"]["name"],
            "nodeSelector": dict(self.v["nodeSelector"]),
            "restartPolicy": restart,
            "terminationGracePeriodSeconds": 30,
            "containers": [container],
            **extra,
        }

    def container(self, name: str, args: list[str], resources: dict, **extra) -> dict:
        return {
            "name": name,
            "image": self.image,
            "imagePullPolicy": self.v["image"]["pullPolicy"],
            "args": args,
            "env": self.env(),
            "resources": json.loads(json.dumps(resources)),
            **extra,
        }


def render(values: dict, now: datetime) -> Objects:
    c = _Ctx(values, now)
    objs = Objects()
    objs.now = now
    objs += _nodes(c)
    objs.append(_service_account(c))
    objs.append(_db_secret(c))
    objs += _api(c)
    objs.append(_service(c))
    objs += _worker(c)
    objs.append(_cronjob(c, "icepack-orchestrator", "orchestrator", values["orchestrator"], ["orchestrate"]))
    objs.append(_cronjob(c, "icepack-health-sync", "health-sync", values["healthSync"], ["health-sync"]))
    if values["postgres"]["internal"]["enabled"]:
        objs += _postgres(c)
    objs += _release_secrets(c, objs)
    objs += _events(c, objs)
    objs.now = c.now  # drifts that move status times need the render clock
    return objs


# --- cluster ---------------------------------------------------------------------------

def _nodes(c: _Ctx) -> list[dict]:
    nodes = []
    for i, name in enumerate(NODES):
        zone = f"{c.v['global']['region']}{'abc'[i]}"
        labels = {
            "kubernetes.io/arch": "arm64", "kubernetes.io/os": "linux", "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": "m7g.xlarge", "topology.kubernetes.io/zone": zone,
            "topology.kubernetes.io/region": c.v["global"]["region"], "eks.amazonaws.com/nodegroup": "icepack-arm64",
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
        }
        nodes.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": c.meta("Node", name, namespaced=False, labels=labels, created=c.now - timedelta(days=9)),
            "spec": {"providerID": f"aws:///{zone}/i-0{hashlib.sha1(name.encode()).hexdigest()[:16]}"},
            "status": {
                "conditions": [
                    {"type": t, "status": "False", "reason": f"KubeletHas{r}", "message": m,
                     "lastHeartbeatTime": ts(c.now - timedelta(seconds=20)), "lastTransitionTime": ts(c.now - timedelta(days=9))}
                    for t, r, m in [("MemoryPressure", "SufficientMemory", "kubelet has sufficient memory available"),
                                    ("DiskPressure", "NoDiskPressure", "kubelet has no disk pressure"),
                                    ("PIDPressure", "SufficientPID", "kubelet has sufficient PID available")]
                ] + [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
                      "lastHeartbeatTime": ts(c.now - timedelta(seconds=20)), "lastTransitionTime": ts(c.now - timedelta(days=9))}],
                "addresses": [{"type": "InternalIP", "address": f"10.40.{11 + 16 * i}.{23 + i}"},
                              {"type": "Hostname", "address": name}],
                "capacity": {"cpu": "4", "memory": "16148188Ki", "pods": "58"},
                "allocatable": {"cpu": "3920m", "memory": "15131356Ki", "pods": "58"},
                "nodeInfo": {
                    "architecture": "arm64", "operatingSystem": "linux", "osImage": "Amazon Linux 2023",
                    "kernelVersion": "6.1.112-122.189.amzn2023.aarch64", "containerRuntimeVersion": "containerd://1.7.22",
                    "kubeletVersion": "v1.30.4-eks-a737599", "kubeProxyVersion": "v1.30.4-eks-a737599",
                    "machineID": hashlib.md5(name.encode()).hexdigest(), "systemUUID": c.uid("sys", name),
                    "bootID": c.uid("boot", name),
                },
            },
        })
    return nodes


def _service_account(c: _Ctx) -> dict:
    sa = c.v["serviceAccount"]
    return {
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": c.meta("ServiceAccount", sa["name"], annotations={
            "eks.amazonaws.com/role-arn": sa["roleArn"],
            "meta.helm.sh/release-name": RELEASE, "meta.helm.sh/release-namespace": NAMESPACE,
        }),
    }


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _db_secret(c: _Ctx) -> dict:
    pg = c.v["postgres"]
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": c.meta("Secret", "icepack-db", "database"),
        "data": {"host": _b64(c.pg_host), "port": _b64(str(pg["port"])), "dbname": _b64(pg["database"]),
                 "user": _b64(pg["user"]), "password": _b64("twin-not-a-secret")},
    }


# --- API ---------------------------------------------------------------------------------

def _probe(path: str, delay: int) -> dict:
    return {"httpGet": {"path": path, "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": delay,
            "periodSeconds": 10, "timeoutSeconds": 2, "successThreshold": 1, "failureThreshold": 3}


def _api_template(c: _Ctx) -> dict:
    api = c.v["api"]
    container = c.container(
        "api", ["serve", "--port", str(api["port"])], api["resources"],
        ports=[{"name": "http", "containerPort": api["port"], "protocol": "TCP"}],
        readinessProbe=_probe("/readyz", 5), livenessProbe=_probe("/healthz", 15),
    )
    labels = {**c.selector("api"), "pod-template-hash": POD_TEMPLATE_HASH}
    return {"metadata": {"labels": labels}, "spec": c.pod_spec(container)}


def _condition(type_: str, status: str, reason: str | None, message: str | None, at: datetime, probe: bool = False) -> dict:
    cond = {"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": ts(at)}
    cond = {k: v for k, v in cond.items() if v is not None}
    if probe:
        cond["lastUpdateTime"] = ts(at)
    return cond


def _api(c: _Ctx) -> list[dict]:
    api = c.v["api"]
    n = api["replicas"]
    gen = 4
    template = _api_template(c)
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {**c.meta("Deployment", "icepack-api", "api",
                              annotations={"deployment.kubernetes.io/revision": "4",
                                           "meta.helm.sh/release-name": RELEASE,
                                           "meta.helm.sh/release-namespace": NAMESPACE}),
                     "generation": gen},
        "spec": {
            "replicas": n,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": c.selector("api")},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": c.selector("api")}, "spec": template["spec"]},
        },
        "status": {
            "observedGeneration": gen, "replicas": n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
            "conditions": [
                _condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
                           c.deployed_at + timedelta(minutes=1), probe=True),
                _condition("Progressing", "True", "NewReplicaSetAvailable",
                           f'ReplicaSet "icepack-api-{POD_TEMPLATE_HASH}" has successfully progressed.',
                           c.deployed_at + timedelta(minutes=1), probe=True),
            ],
        },
    }
    rs_name = f"icepack-api-{POD_TEMPLATE_HASH}"
    replicaset = _replicaset(c, "icepack-api", rs_name, "4", template, n)
    owner_rs = _controlled_by(c, "ReplicaSet", rs_name)
    pods = [
        _pod(c, f"{rs_name}-{suffix}", template, NODES[i % len(NODES)], owner_rs, i)
        for i, suffix in enumerate(["x7k2p", "m4q9w", "b8r3z", "t5v6n", "h2j8d"][:n])
    ]
    return [deployment, replicaset, *pods]


def _controlled_by(c: _Ctx, kind: str, name: str) -> list[dict]:
    """The ownerReferences of an object its apps/v1 controller (a Deployment, a ReplicaSet) made."""
    return [{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": c.uid(kind, name), "controller": True,
             "blockOwnerDeletion": True}]


def _replicaset(c: _Ctx, deployment: str, name: str, revision: str, template: dict, n: int) -> dict:
    """The ReplicaSet the deployment controller made of the Deployment's current template, all its pods ready."""
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {**c.meta("ReplicaSet", name, labels=template["metadata"]["labels"],
                              annotations={"deployment.kubernetes.io/revision": revision,
                                           "deployment.kubernetes.io/desired-replicas": str(n)},
                              ownerReferences=_controlled_by(c, "Deployment", deployment)),
                     "generation": 1},
        "spec": {"replicas": n, "selector": {"matchLabels": template["metadata"]["labels"]}, "template": template},
        "status": {"replicas": n, "fullyLabeledReplicas": n, "readyReplicas": n, "availableReplicas": n,
                   "observedGeneration": 1},
    }


def _pod(c: _Ctx, name: str, template: dict, node: str, owners: list[dict], i: int) -> dict:
    started = c.deployed_at + timedelta(seconds=20 + 7 * i)
    spec = json.loads(json.dumps(template["spec"]))
    spec["nodeName"] = node
    container = spec["containers"][0]
    digest = hashlib.sha256(container["image"].encode()).hexdigest()
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": c.meta("Pod", name, labels=dict(template["metadata"]["labels"]), created=started,
                           ownerReferences=owners),
        "spec": spec,
        "status": {
            "phase": "Running",
            "hostIP": f"10.40.{11 + 16 * (i % 3)}.{23 + i % 3}",
            "podIP": f"10.40.{12 + 16 * (i % 3)}.{101 + i}",
            "startTime": ts(started),
            "qosClass": "Burstable",
            "conditions": [
                _condition(t, "True", None, None, started + timedelta(seconds=s))
                for t, s in [("PodScheduled", 0), ("Initialized", 2), ("ContainersReady", 12), ("Ready", 12)]
            ],
            "containerStatuses": [{
                "name": container["name"], "image": container["image"],
                "imageID": f"{container['image'].split(':')[0]}@sha256:{digest}",
                "containerID": f"containerd://{hashlib.sha256(name.encode()).hexdigest()}",
                "ready": True, "started": True, "restartCount": 0,
                "state": {"running": {"startedAt": ts(started + timedelta(seconds=3))}},
            }],
        },
    }


def _service(c: _Ctx) -> dict:
    svc = c.v["service"]
    lb = f"k8s-icepack-icepacka-{hashlib.sha1(c.v['global']['env'].encode()).hexdigest()[:10]}"
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": c.meta("Service", "icepack-api", "api", annotations={
            "service.beta.kubernetes.io/aws-load-balancer-type": "external",
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
            "service.beta.kubernetes.io/aws-load-balancer-scheme": svc["scheme"],
            "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": svc["certificateArn"],
            "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": str(svc["port"]),
            "service.beta.kubernetes.io/aws-load-balancer-backend-protocol": "tcp",
            "external-dns.alpha.kubernetes.io/hostname": svc["hostname"],
            "meta.helm.sh/release-name": RELEASE, "meta.helm.sh/release-namespace": NAMESPACE,
        }),
        "spec": {
            "type": svc["type"],
            "selector": c.selector("api"),
            "ports": [{"name": "https", "port": svc["port"], "targetPort": c.v["api"]["port"], "protocol": "TCP"}],
            "clusterIP": "172.20.148.31", "clusterIPs": ["172.20.148.31"],
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "externalTrafficPolicy": "Cluster", "sessionAffinity": "None",
            "loadBalancerClass": "service.k8s.aws/nlb", "allocateLoadBalancerNodePorts": True,
        },
        "status": {"loadBalancer": {"ingress": [{"hostname": f"{lb}.elb.{c.v['global']['region']}.amazonaws.com"}]}},
    }


# --- worker, CronJobs --------------------------------------------------------------------

def _worker(c: _Ctx) -> list[dict]:
    keda = c.v["worker"]["keda"]
    trig = keda["trigger"]
    pg = c.v["postgres"]
    container = c.container("worker", ["work", "--one-job"], c.v["worker"]["resources"])
    trigger = {
        "type": trig["type"],
        "metadata": {"query": trig["query"], "targetQueryValue": str(trig["targetQueryValue"]),
                     "activationTargetQueryValue": "0", "host": c.pg_host, "port": str(pg["port"]),
                     "dbName": pg["database"], "userName": pg["user"],
                     "sslmode": "disable" if pg["internal"]["enabled"] else "require"},
        "authenticationRef": {"name": "icepack-postgres-auth"},
    }
    scaled_job = {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledJob",
        "metadata": {**c.meta("ScaledJob", "icepack-worker", "worker"), "generation": 3},
        "spec": {
            "jobTargetRef": {
                "parallelism": 1, "completions": 1, "backoffLimit": 2, "activeDeadlineSeconds": 3600,
                "template": {"metadata": {"labels": c.selector("worker")},
                             "spec": c.pod_spec(container, restart="Never")},
            },
            "pollingInterval": keda["pollingInterval"],
            "maxReplicaCount": keda["maxReplicaCount"],
            "successfulJobsHistoryLimit": 5, "failedJobsHistoryLimit": 5,
            "scalingStrategy": {"strategy": "default"},
            "triggers": [trigger],
        },
        "status": {
            "lastActiveTime": ts(c.now - timedelta(minutes=4)),
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "ScaledJobReady", "message": "ScaledJob is defined correctly and is ready to scaling"},
                {"type": "Active", "status": "False", "reason": "ScalerNotActive", "message": "Scaling is not performed because triggers are not active"},
                {"type": "Fallback", "status": "Unknown", "reason": "", "message": ""},
                {"type": "Paused", "status": "Unknown", "reason": "", "message": ""},
            ],
        },
    }
    auth = {
        "apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
        "metadata": {**c.meta("TriggerAuthentication", "icepack-postgres-auth", "worker"), "generation": 1},
        "spec": {"secretTargetRef": [{"parameter": "password", "name": "icepack-db", "key": "password"}]},
    }
    return [scaled_job, auth]


def last_fire(schedule: str, now: datetime) -> datetime:
    """The most recent time ``schedule`` fired at or before ``now``."""
    it = croniter(schedule, now + timedelta(microseconds=1))
    return it.get_prev(datetime)


def _cronjob(c: _Ctx, name: str, component: str, cfg: dict, args: list[str]) -> dict:
    container = c.container(component, args, c.v["api"]["resources"])
    fired = last_fire(cfg["schedule"], c.now)
    # the run takes about a minute; if it has not finished yet, the previous one is the last success
    success = fired + timedelta(minutes=1, seconds=4)
    if success > c.now:
        success = last_fire(cfg["schedule"], fired - timedelta(seconds=1)) + timedelta(minutes=1, seconds=4)
    return {
        "apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {**c.meta("CronJob", name, component), "generation": 2},
        "spec": {
            "schedule": cfg["schedule"],
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": cfg["concurrencyPolicy"],
            "startingDeadlineSeconds": 300,
            "suspend": cfg["suspend"],
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
            "jobTemplate": {
                "metadata": {"labels": c.selector(component)},
                "spec": {"backoffLimit": 1, "activeDeadlineSeconds": 1800,
                         "template": {"metadata": {"labels": c.selector(component)},
                                      "spec": c.pod_spec(container, restart="Never")}},
            },
        },
        "status": {"lastScheduleTime": ts(fired), "lastSuccessfulTime": ts(success)},
    }


# --- internal Postgres --------------------------------------------------------------------

def _postgres(c: _Ctx) -> list[dict]:
    pg = c.v["postgres"]
    internal = pg["internal"]
    container = {
        "name": "postgres", "image": internal["image"], "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "postgres", "containerPort": 5432, "protocol": "TCP"}],
        "env": [{"name": "POSTGRES_DB", "value": pg["database"]}, {"name": "POSTGRES_USER", "value": pg["user"]},
                {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "icepack-db", "key": "password"}}},
                {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
        "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
        "readinessProbe": {"exec": {"command": ["pg_isready", "-U", pg["user"]]}, "periodSeconds": 10},
    }
    spec = c.pod_spec(container, volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "icepack-postgres"}}])
    n = internal["replicas"]
    strategy = {"type": internal["strategy"]}
    if internal["strategy"] == "RollingUpdate":
        strategy["rollingUpdate"] = {"maxSurge": "25%", "maxUnavailable": "25%"}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {**c.meta("Deployment", "icepack-postgres", "postgres",
                              annotations={"deployment.kubernetes.io/revision": "1"}), "generation": 1},
        "spec": {"replicas": n, "selector": {"matchLabels": c.selector("postgres")}, "strategy": strategy,
                 "template": {"metadata": {"labels": c.selector("postgres")}, "spec": spec}},
        "status": {
            "observedGeneration": 1, "replicas": n, "updatedReplicas": n, "readyReplicas": n, "availableReplicas": n,
            "conditions": [
                _condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", c.deployed_at, True),
                _condition("Progressing", "True", "NewReplicaSetAvailable",
                           'ReplicaSet "icepack-postgres-5c8d7f9b4" has successfully progressed.', c.deployed_at, True),
            ],
        },
    }
    pvc = {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": c.meta("PersistentVolumeClaim", "icepack-postgres", "postgres", annotations={
            "pv.kubernetes.io/bind-completed": "yes", "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"}),
        "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": internal["storageClassName"],
                 "volumeMode": "Filesystem", "resources": {"requests": {"storage": internal["size"]}},
                 "volumeName": f"pvc-{c.uid('PersistentVolumeClaim', 'icepack-postgres')}"},
        "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": internal["size"]}},
    }
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": c.meta("Service", "icepack-postgres", "postgres"),
        "spec": {"type": "ClusterIP", "selector": c.selector("postgres"), "clusterIP": "172.20.61.200",
                 "clusterIPs": ["172.20.61.200"], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "sessionAffinity": "None",
                 "ports": [{"name": "postgres", "port": 5432, "targetPort": "postgres", "protocol": "TCP"}]},
        "status": {"loadBalancer": {}},
    }
    rs = "icepack-postgres-5c8d7f9b4"
    template = {"metadata": {"labels": {**c.selector("postgres"), "pod-template-hash": "5c8d7f9b4"}}, "spec": spec}
    replicaset = _replicaset(c, "icepack-postgres", rs, "1", template, n)
    pod = _pod(c, f"{rs}-q2w7e", template, NODES[2], _controlled_by(c, "ReplicaSet", rs), 2)
    return [deployment, pvc, service, replicaset, pod]


# --- Helm release Secrets --------------------------------------------------------------

def encode_release(release: dict) -> str:
    """Secret ``data.release`` as Helm 3 stores it: base64(base64(gzip(json)))."""
    helm_blob = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0)).decode()
    return base64.b64encode(helm_blob.encode()).decode()


def decode_release(secret: dict) -> dict:
    helm_blob = base64.b64decode(secret["data"]["release"])
    return json.loads(gzip.decompress(base64.b64decode(helm_blob)))


def edit_release(secret: dict, edit) -> None:
    """Apply `edit` to a release Secret's record, decoded, and store it back as Helm does."""
    release = decode_release(secret)
    edit(release)
    secret["data"]["release"] = encode_release(release)


def set_release_status(secret: dict, status: str) -> None:
    """Change a release Secret's status in its label and its payload, as Helm does."""
    secret["metadata"]["labels"]["status"] = status
    edit_release(secret, lambda release: release["info"].update(status=status))


def release_secrets(objs) -> list[dict]:
    """The Helm release Secrets, newest revision first."""
    secrets = [o for o in objs if o["kind"] == "Secret" and o.get("type") == "helm.sh/release.v1"]
    return sorted(secrets, key=lambda s: int(s["metadata"]["labels"]["version"]), reverse=True)


def _manifest(objs: list[dict]) -> str:
    docs = []
    for o in objs:
        if o["kind"] in {"Node", "Pod", "ReplicaSet", "Event"}:
            continue  # not rendered by the chart
        meta = {k: o["metadata"][k] for k in ("name", "labels", "annotations") if k in o["metadata"]}
        doc = {k: v for k, v in o.items() if k not in {"status", "metadata"}}
        docs.append({"apiVersion": o["apiVersion"], "kind": o["kind"], "metadata": meta, **doc})
    return dump_manifest(docs)


def manifest_docs(release: dict) -> Objects:
    """The documents of a release record's manifest."""
    return Objects(d for d in yaml.safe_load_all(release["manifest"]) if d)


def dump_manifest(docs: list[dict]) -> str:
    return "---\n" + "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


def edit_manifests(objs, edit) -> None:
    """Apply `edit` (an edit of Objects) to the manifest of every Helm release record, as if the chart
    had rendered it so: the twin renders the manifest before drifts edit the live objects."""
    def in_manifest(release: dict) -> None:
        docs = manifest_docs(release)
        edit(docs)
        release["manifest"] = dump_manifest(docs)
    for secret in release_secrets(objs):
        edit_release(secret, in_manifest)


def _labelled_by(manifest: str, chart_version: str) -> str:
    """A revision's manifest as its own chart version rendered it: helm.sh/chart names that version."""
    docs = manifest_docs({"manifest": manifest})
    for d in docs:
        labels = d["metadata"].get("labels") or {}
        if "helm.sh/chart" in labels:
            labels["helm.sh/chart"] = f"{CHART_NAME}-{chart_version}"
    return dump_manifest(docs)


def _release_secrets(c: _Ctx, objs: list[dict]) -> list[dict]:
    manifest = _manifest(objs)
    out = []
    for version, status, chart_version, at in [
        (REVISION - 1, "superseded", PREVIOUS_CHART_VERSION, c.deployed_at - timedelta(days=6)),
        (REVISION, "deployed", CHART_VERSION, c.deployed_at),
    ]:
        release = {
            "name": RELEASE, "namespace": NAMESPACE, "version": version,
            "info": {"first_deployed": ts(c.now - timedelta(days=140)), "last_deployed": ts(at), "deleted": "",
                     "description": "Upgrade complete", "status": status},
            "chart": {"metadata": {"name": CHART_NAME, "version": chart_version, "appVersion": c.v["image"]["tag"],
                                   "apiVersion": "v2", "type": "application",
                                   "description": "Iceberg table maintenance service"},
                      "templates": [], "values": {}},
            "config": c.v,
            "manifest": manifest if chart_version == CHART_VERSION else _labelled_by(manifest, chart_version),
        }
        name = f"sh.helm.release.v1.{RELEASE}.v{version}"
        labels = {"owner": "helm", "name": RELEASE, "status": status, "version": str(version),
                  "modifiedAt": str(int(at.timestamp()))}
        out.append({
            "apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
            "metadata": c.meta("Secret", name, labels=labels, created=at),
            "data": {"release": encode_release(release)},
        })
    return out


# --- Events --------------------------------------------------------------------------------

def event(c_now: datetime, obj: dict, type_: str, reason: str, message: str, component: str,
          count: int = 1, age: timedelta = timedelta(minutes=3)) -> dict:
    """A v1 Event about ``obj``; public so drifts can add Warnings."""
    meta = obj["metadata"]
    name = f"{meta['name']}.{hashlib.sha1((reason + message).encode()).hexdigest()[:16]}"
    first = c_now - age
    return {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": NAMESPACE, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                     "resourceVersion": str(48_300_000 + count), "creationTimestamp": ts(first)},
        "involvedObject": {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"],
                           "namespace": NAMESPACE, "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]},
        "reason": reason, "message": message, "type": type_, "count": count,
        "source": {"component": component}, "reportingComponent": component, "reportingInstance": "",
        "firstTimestamp": ts(first), "lastTimestamp": ts(c_now - min(age, timedelta(seconds=40))),
    }


def _events(c: _Ctx, objs) -> list[dict]:
    out = []
    for pod in (o for o in objs if o["kind"] == "Pod"):
        node = pod["spec"]["nodeName"]
        out.append(event(c.now, pod, "Normal", "Scheduled",
                         f"Successfully assigned {NAMESPACE}/{pod['metadata']['name']} to {node}",
                         "default-scheduler", age=timedelta(days=2)))
        out.append(event(c.now, pod, "Normal", "Started", f"Started container {pod['spec']['containers'][0]['name']}",
                         "kubelet", age=timedelta(days=2)))
    hs = objs.get("CronJob", "icepack-health-sync")
    out.append(event(c.now, hs, "Normal", "SawCompletedJob",
                     f"Saw completed job: icepack-health-sync-{int(c.now.timestamp()) // 60 // 15 * 15}, status: Complete",
                     "cronjob-controller", age=timedelta(minutes=2)))
    svc = objs.get("Service", "icepack-api")
    out.append(event(c.now, svc, "Normal", "SuccessfullyReconciled", "Successfully reconciled", "service",
                     age=timedelta(days=2)))
    return out
