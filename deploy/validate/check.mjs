#!/usr/bin/env node
// Checks rendered Kubernetes manifests of the homeserver (`kubectl kustomize deploy/k8s/overlays/X`)
// before they reach a cluster: every object against the Kubernetes or Gateway API schema of its
// apiVersion and kind (an unknown one is a failure), then the deployment's policy (see POLICY
// below). Reads the files named as arguments, or standard input; prints one line per failure and
// exits with status 1 if there is any, 2 if the input cannot be read.
//
//   kubectl kustomize deploy/k8s/overlays/prod | node deploy/validate/check.mjs
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as kubernetes from "kubernetes-models";
import * as gatewayApi from "@kubernetes-models/gateway-api";

// POLICY
// - Every Deployment is one homeserver service (`serve --service NAME`), one for each of SERVICES;
//   each of its containers has gRPC readiness and liveness probes on the health port, runs as a
//   non-root user on a read-only root filesystem without privilege escalation or capabilities,
//   under seccomp, and has CPU and memory requests and limits. Each has a PodDisruptionBudget and a
//   HorizontalPodAutoscaler on CPU.
// - Exactly one GRPCRoute per client gRPC service, whose backends are Services whose port reaches
//   the public port of pods running that service.
// - No Service of type LoadBalancer or NodePort, none with externalIPs; no Gateway listener on, and
//   no route to, the admin, internal, metrics or health port; the federation port is reached only
//   through a TLS listener in Passthrough mode (the federation service checks peers' client
//   certificates itself).
// - Every homeserver pod is selected by an ingress NetworkPolicy, and the internal port admits
//   homeserver pods and nothing else.
const PORT = { public: 7400, admin: 7401, internal: 7402, metrics: 7403, health: 7404, federation: 7443 };
const NOT_ROUTABLE = new Map([[PORT.admin, "admin"], [PORT.internal, "internal"], [PORT.metrics, "metrics"],
  [PORT.health, "health"]]);
const SERVICES = ["auth", "directory", "keypackage", "delivery", "notifier", "federation"];
// Each client-facing gRPC service and the homeserver service that implements it.
const CLIENT_APIS = new Map([
  ["homeserver.auth.v1.AuthService", "auth"],
  ["homeserver.directory.v1.DirectoryService", "directory"],
  ["homeserver.keypackage.v1.KeyPackageService", "keypackage"],
  ["homeserver.delivery.v1.DeliveryService", "delivery"],
  ["homeserver.notifier.v1.NotifierService", "notifier"],
]);
const HOMESERVER_LABEL = ["app.kubernetes.io/name", "homeserver"];
const ROUTE_KINDS = new Set(["GRPCRoute", "HTTPRoute", "TLSRoute", "TCPRoute", "UDPRoute"]);

/** Every model class of both packages by "apiVersion kind". */
function models(namespace, into = new Map()) {
  for (const value of Object.values(namespace)) {
    if (typeof value === "function" && typeof value.apiVersion === "string" && typeof value.kind === "string") {
      into.set(`${value.apiVersion} ${value.kind}`, value);
    } else if (value !== null && typeof value === "object") {
      models(value, into);
    }
  }
  return into;
}
const MODELS = models(gatewayApi, models(kubernetes));

function readInput(files) {
  if (files.length === 0) {
    return [["<stdin>", readFileSync(0, "utf8")]];
  }
  return files.map((file) => [file, readFileSync(file, "utf8")]);
}

const name = (o) => `${o.kind}/${o.metadata?.namespace ? o.metadata.namespace + "/" : ""}${o.metadata?.name}`;
const sameNamespace = (a, b) => (a.metadata?.namespace ?? "") === (b.metadata?.namespace ?? "");

function selects(selector, labels) {
  if (!selector) {
    return false;
  }
  const has = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (has[key] !== value) {
      return false;
    }
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const ok = operator === "In" ? values.includes(has[key])
      : operator === "NotIn" ? !(key in has) || !values.includes(has[key])
        : operator === "Exists" ? key in has
          : operator === "DoesNotExist" ? !(key in has) : false;
    if (!ok) {
      return false;
    }
  }
  return true;
}

/** The container port number a probe, Service or policy port (a number or a port's name) means. */
function containerPort(podSpec, port) {
  if (typeof port === "number") {
    return port;
  }
  for (const container of podSpec?.containers ?? []) {
    const found = (container.ports ?? []).find((p) => p.name === port);
    if (found) {
      return found.containerPort;
    }
  }
  return /^\d+$/.test(String(port)) ? Number(port) : undefined;
}

class Manifests {
  constructor(objects) {
    this.objects = objects;
    this.failures = [];
  }

  of(kind) {
    return this.objects.filter((o) => o.kind === kind);
  }

  fail(object, message) {
    this.failures.push(`${object ? name(object) : "manifests"}: ${message}`);
  }

  /** The Deployments whose pods a Service or selector in the object's namespace picks. */
  podsSelectedBy(object, selector) {
    return this.of("Deployment").filter((d) => sameNamespace(d, object) && selects(selector, d.spec?.template?.metadata?.labels));
  }

  /** Where a Service's port leads: the container port numbers of the pods it selects. */
  serviceTargets(service, servicePort) {
    const target = servicePort.targetPort ?? servicePort.port;
    const pods = this.podsSelectedBy(service, { matchLabels: service.spec?.selector ?? {} });
    if (service.spec?.selector === undefined || pods.length === 0) {
      return typeof target === "number" ? [target] : [];
    }
    return [...new Set(pods.map((d) => containerPort(d.spec.template.spec, target)).filter((p) => p !== undefined))];
  }
}

/**
 * The object as the API server decodes it. kustomize's secretGenerator folds long base64 values
 * over several lines; the server's base64 decoder skips the line breaks, the schema's "byte"
 * format does not.
 */
function asDecoded(object) {
  const field = object.kind === "Secret" ? "data" : object.kind === "ConfigMap" ? "binaryData" : undefined;
  if (!field || typeof object[field] !== "object" || object[field] === null) {
    return object;
  }
  const unfolded = Object.fromEntries(Object.entries(object[field])
    .map(([key, value]) => [key, typeof value === "string" ? value.replace(/[\r\n]/g, "") : value]));
  return { ...object, [field]: unfolded };
}

function validateSchemas(manifests) {
  for (const object of manifests.objects) {
    const Model = MODELS.get(`${object.apiVersion} ${object.kind}`);
    if (!Model) {
      manifests.fail(object, `no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
      continue;
    }
    try {
      new Model(asDecoded(object)).validate();
    } catch (e) {
      for (const error of e.errors ?? [{ instancePath: "", message: e.message }]) {
        manifests.fail(object, `schema: ${error.instancePath || "/"} ${error.message}${error.params?.additionalProperty ? ` (${error.params.additionalProperty})` : ""}`);
      }
    }
  }
}

function grpcProbeOnHealthPort(podSpec, container, probe) {
  const grpc = container[probe]?.grpc;
  if (!grpc) {
    return `container ${container.name}: ${probe} must be a grpc probe on the health port ${PORT.health}`;
  }
  if (containerPort(podSpec, grpc.port) !== PORT.health) {
    return `container ${container.name}: ${probe} probes port ${grpc.port}, not the health port ${PORT.health}`;
  }
  return null;
}

function checkContainer(manifests, deployment, podSpec, container) {
  const pod = podSpec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const effective = (key) => own[key] ?? pod[key];
  const problems = [
    grpcProbeOnHealthPort(podSpec, container, "readinessProbe"),
    grpcProbeOnHealthPort(podSpec, container, "livenessProbe"),
  ];
  if (effective("runAsNonRoot") !== true) {
    problems.push(`container ${container.name}: securityContext.runAsNonRoot must be true`);
  }
  const uid = effective("runAsUser");
  if (!(Number.isInteger(uid) && uid > 0)) {
    problems.push(`container ${container.name}: securityContext.runAsUser must be a fixed non-root uid (got ${uid})`);
  }
  const gid = effective("runAsGroup");
  if (!(Number.isInteger(gid) && gid > 0)) {
    problems.push(`container ${container.name}: securityContext.runAsGroup must be a fixed non-root gid (got ${gid})`);
  }
  if (own.readOnlyRootFilesystem !== true) {
    problems.push(`container ${container.name}: securityContext.readOnlyRootFilesystem must be true`);
  }
  if (own.allowPrivilegeEscalation !== false) {
    problems.push(`container ${container.name}: securityContext.allowPrivilegeEscalation must be false`);
  }
  if (own.privileged === true) {
    problems.push(`container ${container.name}: must not be privileged`);
  }
  if (!(own.capabilities?.drop ?? []).includes("ALL")) {
    problems.push(`container ${container.name}: securityContext.capabilities.drop must include ALL`);
  }
  if ((own.capabilities?.add ?? []).length > 0) {
    problems.push(`container ${container.name}: securityContext.capabilities.add must be empty (got ${own.capabilities.add.join(", ")})`);
  }
  if (!["RuntimeDefault", "Localhost"].includes(effective("seccompProfile")?.type)) {
    problems.push(`container ${container.name}: seccompProfile must be RuntimeDefault (or Localhost)`);
  }
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (container.resources?.[kind]?.[resource] === undefined) {
        problems.push(`container ${container.name}: resources.${kind}.${resource} is missing`);
      }
    }
  }
  for (const problem of problems.filter(Boolean)) {
    manifests.fail(deployment, problem);
  }
}

/** The NAME of `serve --service NAME` in a Deployment's containers, if any. */
function servedService(deployment) {
  for (const container of deployment.spec?.template?.spec?.containers ?? []) {
    const words = [...(container.command ?? []), ...(container.args ?? [])];
    const at = words.indexOf("--service");
    if (words.includes("serve") && at >= 0) {
      return words[at + 1];
    }
  }
  return undefined;
}

function checkDeployments(manifests) {
  const served = new Map();
  for (const deployment of manifests.of("Deployment")) {
    const template = deployment.spec?.template ?? {};
    const podSpec = template.spec ?? {};
    const service = servedService(deployment);
    if (!SERVICES.includes(service)) {
      manifests.fail(deployment, `must run \`serve --service NAME\` with NAME one of ${SERVICES.join(", ")} (got ${service})`);
    } else if (served.has(service)) {
      manifests.fail(deployment, `runs ${service}, which ${name(served.get(service))} runs already`);
    } else {
      served.set(service, deployment);
    }
    if (template.metadata?.labels?.[HOMESERVER_LABEL[0]] !== HOMESERVER_LABEL[1]) {
      manifests.fail(deployment, `its pods must carry the label ${HOMESERVER_LABEL.join("=")} (the NetworkPolicies select them by it)`);
    }
    for (const container of podSpec.containers ?? []) {
      checkContainer(manifests, deployment, podSpec, container);
    }
    const labels = template.metadata?.labels;
    if (!manifests.of("PodDisruptionBudget").some((p) => sameNamespace(p, deployment) && selects(p.spec?.selector, labels))) {
      manifests.fail(deployment, "no PodDisruptionBudget selects its pods");
    }
    const scalers = manifests.of("HorizontalPodAutoscaler").filter((h) => sameNamespace(h, deployment)
      && h.spec?.scaleTargetRef?.kind === "Deployment" && h.spec.scaleTargetRef.name === deployment.metadata?.name);
    if (scalers.length === 0) {
      manifests.fail(deployment, "no HorizontalPodAutoscaler scales it");
    } else if (!scalers.some((h) => (h.spec.metrics ?? []).some((m) => m.type === "Resource" && m.resource?.name === "cpu"))) {
      manifests.fail(deployment, "its HorizontalPodAutoscaler has no CPU metric");
    }
  }
  for (const service of SERVICES.filter((s) => !served.has(s))) {
    manifests.fail(null, `no Deployment runs \`serve --service ${service}\``);
  }
}

function checkServices(manifests) {
  for (const service of manifests.of("Service")) {
    const type = service.spec?.type ?? "ClusterIP";
    if (type === "LoadBalancer" || type === "NodePort") {
      manifests.fail(service, `type ${type} exposes the pods outside the cluster; only the Gateway may (use ClusterIP)`);
    }
    if ((service.spec?.externalIPs ?? []).length > 0) {
      manifests.fail(service, "externalIPs expose the pods outside the cluster; only the Gateway may");
    }
  }
}

/** Where each backendRef of a route leads, as [backendRef, Service or undefined, target ports]. */
function routeBackends(manifests, route) {
  const backends = [];
  for (const rule of route.spec?.rules ?? []) {
    for (const ref of rule.backendRefs ?? []) {
      if ((ref.kind ?? "Service") !== "Service" || (ref.group ?? "") !== "") {
        manifests.fail(route, `backendRef ${ref.name} is a ${ref.group ?? ""}/${ref.kind}, not a Service`);
        continue;
      }
      const namespace = ref.namespace ?? route.metadata?.namespace ?? "";
      const service = manifests.of("Service").find((s) => s.metadata?.name === ref.name && (s.metadata?.namespace ?? "") === namespace);
      const servicePort = service?.spec?.ports?.find((p) => p.port === ref.port);
      if (!service) {
        manifests.fail(route, `backendRef names Service ${ref.name}, which is not in the manifests`);
      } else if (!servicePort) {
        manifests.fail(route, `backendRef names port ${ref.port} of Service ${ref.name}, which has no such port`);
      }
      backends.push([ref, service, servicePort ? manifests.serviceTargets(service, servicePort) : []]);
    }
  }
  return backends;
}

function checkGateways(manifests) {
  for (const gateway of manifests.of("Gateway")) {
    for (const listener of gateway.spec?.listeners ?? []) {
      if (NOT_ROUTABLE.has(listener.port)) {
        manifests.fail(gateway, `listener ${listener.name} listens on ${listener.port}, the ${NOT_ROUTABLE.get(listener.port)} port's number`);
      }
    }
  }
  for (const route of manifests.objects.filter((o) => ROUTE_KINDS.has(o.kind))) {
    for (const [ref, , targets] of routeBackends(manifests, route)) {
      for (const target of new Set([ref.port, ...targets].filter((p) => NOT_ROUTABLE.has(p)))) {
        manifests.fail(route, `backendRef ${ref.name}:${ref.port} reaches the ${NOT_ROUTABLE.get(target)} port ${target}, which must stay inside the cluster`);
      }
      if (targets.includes(PORT.federation)) {
        checkPassthrough(manifests, route, ref);
      }
    }
  }
}

/** A route to the federation port must hang off TLS listeners that pass TLS through. */
function checkPassthrough(manifests, route, ref) {
  if (route.kind !== "TLSRoute" && route.kind !== "TCPRoute") {
    manifests.fail(route, `a ${route.kind} to ${ref.name}:${ref.port} (the federation port) terminates TLS; use a TLSRoute on a Passthrough listener, the federation service checks the peer's client certificate itself`);
    return;
  }
  for (const parent of route.spec?.parentRefs ?? []) {
    const gateway = manifests.of("Gateway").find((g) => g.metadata?.name === parent.name
      && (g.metadata?.namespace ?? "") === (parent.namespace ?? route.metadata?.namespace ?? ""));
    const listeners = (gateway?.spec?.listeners ?? []).filter((l) => parent.sectionName === undefined || l.name === parent.sectionName);
    if (!gateway || listeners.length === 0) {
      manifests.fail(route, `parentRef ${parent.name}/${parent.sectionName ?? ""} names no listener in the manifests`);
    }
    for (const listener of listeners.filter((l) => l.protocol !== "TLS" || l.tls?.mode !== "Passthrough")) {
      manifests.fail(route, `reaches the federation port through listener ${listener.name} (${listener.protocol}, tls mode ${listener.tls?.mode ?? "none"}); it must be protocol TLS with mode Passthrough`);
    }
  }
}

function checkGrpcRoutes(manifests) {
  const routesOf = new Map([...CLIENT_APIS.keys()].map((api) => [api, []]));
  for (const route of manifests.of("GRPCRoute")) {
    const backends = routeBackends(manifests, route);
    const apis = new Set();
    for (const rule of route.spec?.rules ?? []) {
      const matches = rule.matches ?? [];
      if (matches.length === 0 || matches.some((m) => !m.method?.service)) {
        manifests.fail(route, "a rule matches every gRPC service; match each by method.service");
      }
      matches.forEach((m) => m.method?.service && apis.add(m.method.service));
    }
    for (const api of apis) {
      const expected = CLIENT_APIS.get(api);
      if (!expected) {
        manifests.fail(route, `routes ${api}, which is not a client-facing gRPC service of the homeserver`);
        continue;
      }
      routesOf.get(api).push(route);
      for (const [ref, service, targets] of backends) {
        if (service && !(targets.length === 1 && targets[0] === PORT.public)) {
          manifests.fail(route, `backendRef ${ref.name}:${ref.port} reaches port ${targets.join(", ") || "none"}, not the public port ${PORT.public}`);
        }
        const runs = service ? manifests.podsSelectedBy(service, { matchLabels: service.spec?.selector ?? {} }).map(servedService) : [];
        if (service && (runs.length === 0 || runs.some((s) => s !== expected))) {
          manifests.fail(route, `routes ${api} to Service ${ref.name}, whose pods run ${runs.join(", ") || "nothing"}, not ${expected}`);
        }
      }
    }
  }
  for (const [api, routes] of routesOf) {
    if (routes.length !== 1) {
      manifests.fail(null, `${api} must have exactly one GRPCRoute, has ${routes.length}${routes.length ? ": " + routes.map(name).join(", ") : ""}`);
    }
  }
}

/** Whether a NetworkPolicy ingress rule's ports let in the given container port of these pods. */
function admitsPort(rule, podSpec, port) {
  if (!rule.ports || rule.ports.length === 0) {
    return true;
  }
  return rule.ports.some((p) => {
    if (p.port === undefined) {
      return true;
    }
    const number = containerPort(podSpec, p.port);
    return p.endPort !== undefined ? number <= port && port <= p.endPort : number === port;
  });
}

function onlyHomeserverPods(peer) {
  return peer.podSelector !== undefined && peer.namespaceSelector === undefined && peer.ipBlock === undefined
    && peer.podSelector.matchLabels?.[HOMESERVER_LABEL[0]] === HOMESERVER_LABEL[1];
}

function checkNetworkPolicies(manifests) {
  const leaks = new Map(); // "policy\0peers" -> [policy, peers, the Deployments whose pods it opens]
  for (const deployment of manifests.of("Deployment")) {
    const template = deployment.spec?.template ?? {};
    const policies = manifests.of("NetworkPolicy").filter((p) => sameNamespace(p, deployment)
      && selects(p.spec?.podSelector, template.metadata?.labels)
      && (p.spec?.policyTypes ?? ["Ingress"]).includes("Ingress"));
    if (policies.length === 0) {
      manifests.fail(deployment, "no ingress NetworkPolicy selects its pods, so anyone in the cluster reaches every port");
      continue;
    }
    let admitted = false;
    for (const policy of policies) {
      for (const rule of policy.spec?.ingress ?? []) {
        if (!admitsPort(rule, template.spec, PORT.internal)) {
          continue;
        }
        const from = rule.from ?? [];
        const strangers = from.length === 0 ? ["everyone"] : from.filter((peer) => !onlyHomeserverPods(peer)).map((peer) => JSON.stringify(peer));
        if (strangers.length === 0) {
          admitted = true;
          continue;
        }
        const key = `${name(policy)}\0${strangers.join(", ")}`;
        if (!leaks.has(key)) {
          leaks.set(key, [policy, strangers.join(", "), []]);
        }
        leaks.get(key)[2].push(deployment.metadata?.name);
      }
    }
    if (!admitted) {
      manifests.fail(deployment, `no NetworkPolicy admits the homeserver's pods to its internal port ${PORT.internal}`);
    }
  }
  for (const [policy, strangers, deployments] of leaks.values()) {
    manifests.fail(policy, `lets ${strangers} reach the internal port ${PORT.internal} of the pods of ${deployments.join(", ")}; only pods labelled ${HOMESERVER_LABEL.join("=")} (a podSelector alone) may`);
  }
}

function main() {
  let sources;
  try {
    sources = readInput(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
  const objects = [];
  const failures = [];
  for (const [source, text] of sources) {
    for (const document of parseAllDocuments(text)) {
      if (document.errors.length > 0) {
        document.errors.forEach((e) => failures.push(`${source}: not valid YAML: ${e.message.split("\n")[0]}`));
        continue;
      }
      const object = document.toJS();
      if (object === null) {
        continue;
      }
      if (typeof object !== "object" || Array.isArray(object) || !object.kind || !object.apiVersion) {
        failures.push(`${source}: a document is not a Kubernetes object (no apiVersion and kind)`);
        continue;
      }
      objects.push(object);
    }
  }
  const manifests = new Manifests(objects);
  if (objects.length === 0) {
    manifests.fail(null, "no objects to check");
  }
  validateSchemas(manifests);
  checkDeployments(manifests);
  checkServices(manifests);
  checkGateways(manifests);
  checkGrpcRoutes(manifests);
  checkNetworkPolicies(manifests);
  failures.push(...manifests.failures);
  for (const failure of failures) {
    console.log(`FAIL ${failure}`);
  }
  console.log(`${objects.length} objects checked, ${failures.length} failure${failures.length === 1 ? "" : "s"}`);
  process.exit(failures.length === 0 ? 0 : 1);
}

main();
