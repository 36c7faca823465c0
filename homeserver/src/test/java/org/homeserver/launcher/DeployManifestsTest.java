package org.homeserver.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.homeserver.platform.config.HomeserverConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Kubernetes manifests of deploy/: each overlay renders with `kubectl kustomize` and passes
 * deploy/validate/check.mjs (the Kubernetes and Gateway API schemas and the deployment's policy),
 * and check.mjs refuses manifests that break the policy. Needs kubectl, Node.js 20 or later and
 * `npm ci` in deploy/validate (bin/test runs it).
 */
class DeployManifestsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final long MINUTES = 2;

  /** What a finished command printed. */
  private record Run(int status, String output, String errors) {
    String printed() {
      return output + errors;
    }
  }

  @BeforeAll
  static void toolsAreInstalled() throws InterruptedException {
    assertTrue(Files.isDirectory(ROOT.resolve("deploy/validate/node_modules")),
        "deploy/validate/node_modules is missing: run `npm ci` in deploy/validate (bin/test does)");
    for (List<String> command : List.of(List.of("kubectl", "version", "--client"), List.of("node", "--version"))) {
      try {
        assertEquals(0, run(command, "").status(), String.join(" ", command) + " failed");
      } catch (IOException e) {
        throw new AssertionError(command.getFirst() + " is needed to render and check deploy/k8s and cannot be run: " + e.getMessage(), e);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void overlayRendersAndPassesTheSchemasAndThePolicy(String overlay) throws Exception {
    Run checked = check(render(overlay));
    assertEquals(0, checked.status(), "check.mjs refused overlay " + overlay + ":\n" + checked.printed());
    assertTrue(checked.output().contains(" objects checked, 0 failures"), checked.printed());
  }

  @Test
  void theConfigurationFileEveryProcessReadsIsValid() throws Exception {
    // The environment the Deployments set on top of it: what a process reads at start.
    HomeserverConfig config = Homeserver.configLoader(Map.of(
            "HOMESERVER_DATABASE_URL", "jdbc:postgresql://postgres:5432/homeserver",
            "HOMESERVER_REDIS_URL", "redis://redis:6379",
            "HOMESERVER_INTERNAL_TOKEN", "a-token-of-the-right-length-0123456789"))
        .load(ROOT.resolve("deploy/k8s/base/config/homeserver.yaml"), Map.of());
    assertEquals(7404, config.health().port(), "the probes' port");
    assertEquals(7402, config.internal().port(), "the internal Services' port");
    assertEquals(7400, config.server().port(), "the GRPCRoutes' port");
  }

  @Test
  void serviceExposingTheInternalPortAsNodePortIsRefused() throws Exception {
    assertRefused("""
        apiVersion: v1
        kind: Service
        metadata:
          name: delivery-exposed
          namespace: homeserver
        spec:
          type: NodePort
          selector:
            app.kubernetes.io/name: homeserver
            app.kubernetes.io/component: delivery
          ports:
          - port: 7402
            targetPort: internal
        """,
        "FAIL Service/homeserver/delivery-exposed: type NodePort exposes the pods outside the cluster");
  }

  @Test
  void deploymentWithoutProbesIsRefused() throws Exception {
    assertRefused("""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: notifier-unprobed
          namespace: homeserver
        spec:
          selector:
            matchLabels:
              app.kubernetes.io/name: homeserver
              app.kubernetes.io/component: notifier-unprobed
          template:
            metadata:
              labels:
                app.kubernetes.io/name: homeserver
                app.kubernetes.io/component: notifier-unprobed
            spec:
              securityContext:
                runAsNonRoot: true
                runAsUser: 10001
                runAsGroup: 10001
                seccompProfile:
                  type: RuntimeDefault
              containers:
              - name: homeserver
                image: homeserver:dev
                args: [serve, --service, notifier]
                resources:
                  requests: {cpu: 100m, memory: 512Mi}
                  limits: {cpu: "1", memory: 512Mi}
                securityContext:
                  readOnlyRootFilesystem: true
                  allowPrivilegeEscalation: false
                  capabilities:
                    drop: [ALL]
        """,
        "FAIL Deployment/homeserver/notifier-unprobed: container homeserver: readinessProbe must be a grpc probe on the health port 7404",
        "FAIL Deployment/homeserver/notifier-unprobed: container homeserver: livenessProbe must be a grpc probe on the health port 7404");
  }

  @Test
  void networkPolicyOpeningTheInternalPortToOtherNamespacesIsRefused() throws Exception {
    assertRefused("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: internal-for-everyone
          namespace: homeserver
        spec:
          podSelector:
            matchLabels:
              app.kubernetes.io/name: homeserver
          ingress:
          - from:
            - namespaceSelector: {}
            ports:
            - port: 7402
        """,
        "FAIL NetworkPolicy/homeserver/internal-for-everyone: lets {\"namespaceSelector\":{}} reach the internal port 7402");
  }

  @Test
  void objectOfAnUnknownKindIsRefused() throws Exception {
    assertRefused("""
        apiVersion: gateway.networking.k8s.io/v1
        kind: GRPCRoutes
        metadata:
          name: typo
          namespace: homeserver
        """,
        "FAIL GRPCRoutes/homeserver/typo: no schema for apiVersion gateway.networking.k8s.io/v1 kind GRPCRoutes");
  }

  /** The dev overlay with one more object is refused, with each expected line among the failures. */
  private static void assertRefused(String extraObject, String... expectedLines) throws Exception {
    Run checked = check(render("dev") + "\n---\n" + extraObject);
    assertEquals(1, checked.status(), "check.mjs did not refuse the manifests:\n" + checked.printed());
    for (String line : expectedLines) {
      assertTrue(checked.output().lines().anyMatch(l -> l.startsWith(line)),
          "check.mjs did not say \"" + line + "\":\n" + checked.printed());
    }
  }

  private static String render(String overlay) throws Exception {
    Run rendered = run(List.of("kubectl", "kustomize", "deploy/k8s/overlays/" + overlay), "");
    assertEquals(0, rendered.status(), "kubectl kustomize deploy/k8s/overlays/" + overlay + " failed:\n" + rendered.printed());
    return rendered.output();
  }

  private static Run check(String manifests) throws Exception {
    return run(List.of("node", "deploy/validate/check.mjs"), manifests);
  }

  /** Runs a command in the repository's root with the input on its stdin. */
  private static Run run(List<String> command, String input) throws IOException, InterruptedException {
    Path output = Files.createTempFile("deploy-manifests", ".out");
    Path errors = Files.createTempFile("deploy-manifests", ".err");
    try {
      Process process = new ProcessBuilder(command)
          .directory(ROOT.toFile())
          .redirectOutput(output.toFile())
          .redirectError(errors.toFile())
          .start();
      try (OutputStream stdin = process.getOutputStream()) {
        stdin.write(input.getBytes(UTF_8));
      }
      boolean finished = process.waitFor(MINUTES, TimeUnit.MINUTES);
      if (!finished) {
        process.destroyForcibly().waitFor();
      }
      Run run = new Run(finished ? process.exitValue() : -1, Files.readString(output), Files.readString(errors));
      assertTrue(finished, String.join(" ", command) + " did not finish in " + MINUTES + " minutes:\n" + run.printed());
      return run;
    } finally {
      Files.deleteIfExists(output);
      Files.deleteIfExists(errors);
    }
  }
}
