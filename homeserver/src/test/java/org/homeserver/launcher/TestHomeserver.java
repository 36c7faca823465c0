package org.homeserver.launcher;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.homeserver.api.admin.v1.AdminServiceGrpc;
import org.homeserver.api.auth.v1.AuthServiceGrpc;
import org.homeserver.api.auth.v1.CreateChallengeRequest;
import org.homeserver.api.auth.v1.CreateChallengeResponse;
import org.homeserver.api.auth.v1.CreateSessionRequest;
import org.homeserver.api.auth.v1.RegisterClientRequest;
import org.homeserver.api.auth.v1.RegisterClientResponse;
import org.homeserver.api.auth.v1.RegisterUserRequest;
import org.homeserver.api.common.v1.SignatureScheme;
import org.homeserver.api.directory.v1.AcceptConnectionRequest;
import org.homeserver.api.directory.v1.RequestConnectionRequest;
import org.homeserver.auth.SignContent;
import org.homeserver.auth.TestSigningKey;
import org.homeserver.platform.config.HomeserverConfig;
import org.homeserver.platform.grpc.BearerTokens;
import org.homeserver.platform.testing.TestPorts;
import org.homeserver.platform.testing.TestPostgres;
import org.homeserver.platform.testing.TestRedis;
import org.homeserver.platform.testing.MutableClock;

/**
 * A real homeserver process for tests: real ports on loopback, a fresh database on the real
 * PostgreSQL, optionally the real Redis, and a client-side toolkit that registers users and clients
 * and signs challenges as a client library would.
 */
final class TestHomeserver implements AutoCloseable {
  static final String DOMAIN = "example.org";
  static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijkl";
  static final String PASSWORD = "correct horse battery staple";
  /**
   * The key-encryption key of every test homeserver on an external database that sets none itself,
   * so the homeservers and processes of a test that share a database share the key.
   */
  static final String KEY_ENCRYPTION_KEY = "SFvOZaU0QcpVLTm7GWXX99vtrvSb6nLNv8/6SGY05p0=";

  /**
   * Argon2id memory of test homeservers: 1 MiB instead of 19 MiB makes a password hash take about a
   * millisecond instead of about fifty, over the thousand or so the suite computes. What a password
   * check does is the same at any cost; PasswordHasherTest checks the operator's defaults.
   */
  static final String TEST_ARGON2_MEMORY_KIB = "1024";

  final Homeserver server;
  final MutableClock clock;
  final HomeserverConfig config;
  final ManagedChannel channel;
  final ManagedChannel adminChannel;

  private TestHomeserver(Homeserver server, MutableClock clock, HomeserverConfig config) {
    this.server = server;
    this.clock = clock;
    this.config = config;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    this.adminChannel = NettyChannelBuilder.forAddress("127.0.0.1", server.adminPort().orElseThrow()).usePlaintext().build();
  }

  /** A homeserver on a fresh database with Redis signalling, plus {@code settings} overrides. */
  static TestHomeserver withRedis(Map<String, String> settings) throws Exception {
    Map<String, String> all = new HashMap<>(settings);
    all.putIfAbsent("redis.url", TestRedis.URL);
    all.putIfAbsent("redis.key-prefix", "hs-test-" + java.util.UUID.randomUUID() + ":");
    return start(all);
  }

  /** A homeserver on a fresh database with in-process signalling and users of these handles. */
  static TestHomeserver withUsers(String... handles) throws Exception {
    TestHomeserver server = start(Map.of());
    for (String handle : handles) {
      server.registerUser(handle);
    }
    return server;
  }

  /**
   * Connects every pair of these users (request and accept through the directory), with clients
   * registered for the purpose, so clients registered afterwards find no connection events queued.
   */
  void connectAll(String... handles) {
    connectAll(channel, handles);
  }

  static void connectAll(Channel channel, String... handles) {
    for (int i = 0; i < handles.length; i++) {
      for (int j = i + 1; j < handles.length; j++) {
        TestMember requester = TestMember.register(channel, handles[i]);
        TestMember target = TestMember.register(channel, handles[j]);
        requester.directory().requestConnection(RequestConnectionRequest.newBuilder()
            .setTargetUserId(target.client.userId()).build());
        target.directory().acceptConnection(AcceptConnectionRequest.newBuilder()
            .setRequesterUserId(requester.client.userId()).build());
      }
    }
  }

  /** A homeserver on a fresh database with in-process signalling, plus {@code settings} overrides. */
  static TestHomeserver start(Map<String, String> settings) throws Exception {
    return start(configFor(TestPostgres.freshDatabase().jdbcUrl(), Files.createTempDirectory("hs-test"), settings),
        List.of());
  }

  static TestHomeserver start(HomeserverConfig config, List<String> services) throws Exception {
    MutableClock clock = new MutableClock();
    return new TestHomeserver(Homeserver.start(config, services, clock), clock, config);
  }

  /**
   * The configuration of a test homeserver: free loopback ports, the given database and, on an
   * external one, {@link #KEY_ENCRYPTION_KEY} unless {@code settings} name a key.
   */
  static HomeserverConfig configFor(String jdbcUrl, Path dataDir, Map<String, String> settings) throws Exception {
    Map<String, String> all = new HashMap<>();
    all.put("domain", DOMAIN);
    all.put("data-dir", dataDir.toString());
    all.put("server.host", "127.0.0.1");
    all.put("server.port", Integer.toString(freePort()));
    all.put("internal.port", Integer.toString(freePort()));
    all.put("admin.port", Integer.toString(freePort()));
    all.put("admin.token", ADMIN_TOKEN);
    all.put("metrics.port", Integer.toString(freePort()));
    if (jdbcUrl != null) {
      all.put("database.url", jdbcUrl);
      withTestKey(all, settings);
    }
    all.put("auth.registration-rate-per-minute", "1000");
    all.put("auth.argon2.memory-kib", TEST_ARGON2_MEMORY_KIB);
    all.putAll(settings);
    return Homeserver.configLoader(Map.of()).load(null, all);
  }

  /** Adds {@link #KEY_ENCRYPTION_KEY} to {@code all} unless {@code settings} configure a key of their own. */
  static void withTestKey(Map<String, String> all, Map<String, String> settings) {
    if (!settings.containsKey("secrets.key-encryption-key") && !settings.containsKey("secrets.key-encryption-key-file")) {
      all.put("secrets.key-encryption-key", KEY_ENCRYPTION_KEY);
    }
  }

  static int freePort() {
    return TestPorts.free();
  }

  AuthServiceGrpc.AuthServiceBlockingStub auth() {
    return auth(channel);
  }

  AuthServiceGrpc.AuthServiceBlockingStub auth(String token) {
    return auth().withCallCredentials(BearerTokens.credentials(token));
  }

  static AuthServiceGrpc.AuthServiceBlockingStub auth(Channel channel) {
    return AuthServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** The process's metrics, as Prometheus scrapes them. */
  String metrics() {
    try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
      return http.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(adminChannel).withCallCredentials(BearerTokens.credentials(ADMIN_TOKEN))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Registers {@code handle} with the test password; returns the user id. */
  String registerUser(String handle) {
    return registerUser(channel, handle);
  }

  /** Registers {@code handle} on the homeserver behind {@code channel}; returns the user id. */
  static String registerUser(Channel channel, String handle) {
    return auth(channel).registerUser(RegisterUserRequest.newBuilder().setHandle(handle).setPassword(PASSWORD).build())
        .getUserId();
  }

  /** A client as its own software holds it: its id, signing key and credential. */
  record TestClient(String clientId, String userId, TestSigningKey key, List<ByteString> chain) {}

  /** A registration request with a valid proof of possession by {@code key}. */
  static RegisterClientRequest.Builder clientRequest(String handle, TestSigningKey key) {
    return clientRequest(DOMAIN, handle, key);
  }

  /** As {@link #clientRequest(String, TestSigningKey)}, for a user of {@code domain}. */
  static RegisterClientRequest.Builder clientRequest(String domain, String handle, TestSigningKey key) {
    byte[] publicKey = key.signatureKey().publicKey();
    String userId = "mimi://" + domain + "/u/" + handle;
    return RegisterClientRequest.newBuilder()
        .setHandle(handle)
        .setPassword(PASSWORD)
        .setSignatureScheme(key.scheme())
        .setSignaturePublicKey(ByteString.copyFrom(publicKey))
        .setProofOfPossession(ByteString.copyFrom(
            key.signWithLabel(SignContent.REGISTRATION_LABEL, SignContent.registration(userId, publicKey))));
  }

  TestClient registerClient(String handle, SignatureScheme scheme) {
    return registerClient(channel, handle, scheme);
  }

  static TestClient registerClient(Channel channel, String handle, SignatureScheme scheme) {
    return registerClient(channel, DOMAIN, handle, scheme);
  }

  /** A new client of {@code handle} on the homeserver of {@code domain} behind {@code channel}. */
  static TestClient registerClient(Channel channel, String domain, String handle, SignatureScheme scheme) {
    TestSigningKey key = TestSigningKey.generate(scheme);
    RegisterClientResponse r = auth(channel).registerClient(clientRequest(domain, handle, key).build());
    return new TestClient(r.getClientId(), "mimi://" + domain + "/u/" + handle, key, r.getCertificateChainList());
  }

  /** Runs the challenge-response and returns an access token. */
  String session(TestClient client) {
    return session(channel, client);
  }

  static String session(Channel channel, TestClient client) {
    CreateChallengeResponse challenge = auth(channel).createChallenge(
        CreateChallengeRequest.newBuilder().setClientId(client.clientId()).build());
    byte[] signature = client.key().signWithLabel(SignContent.SESSION_LABEL,
        SignContent.session(client.clientId(), challenge.getNonce().toByteArray()));
    return auth(channel).createSession(CreateSessionRequest.newBuilder()
        .setClientId(client.clientId())
        .setChallengeId(challenge.getChallengeId())
        .setSignature(ByteString.copyFrom(signature))
        .build()).getAccessToken();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    adminChannel.shutdownNow();
    server.close();
  }
}
